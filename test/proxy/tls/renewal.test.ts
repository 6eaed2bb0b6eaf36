import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { startInboundProxy, startOutboundProxy } from '../../../proxy/index.js';
import { meshIdentity, TestIdentity } from '../../support/mesh-pki.js';
import { endpoints, freePort, HOST, ManualConfigSource, service, startEcho } from '../support/harness.js';
import { meshSuite } from './support.js';

const WEB = meshIdentity('web', 'test');
const CLIENT = meshIdentity('client', 'test');

function serial(chainPem: string): string {
  return new X509Certificate(chainPem).serialNumber.toUpperCase();
}

/**
 * Renewal puts new certificates in force for new connections, on both sides, while requests keep
 * flowing. Each side is driven so that every request opens a new TLS connection, which is where a
 * renewal shows.
 */
describe('certificate renewal under load', () => {
  const suite = meshSuite();
  const { cleanup, client } = suite;

  it('outbound: new connections present the renewed client certificate, no request fails', async () => {
    // a meshed endpoint played by an HTTPS server that asks for client certificates and closes every connection
    const server = await suite.pki.leaf(WEB);
    const seen: string[] = [];
    const https: Server = createHttpsServer(
      { key: server.keyPem, cert: server.certChainPem, ca: server.trustAnchorsPem, requestCert: true },
      (req, res) => {
        const cert = (req.socket as TLSSocket).getPeerCertificate();
        seen.push(cert.serialNumber.toUpperCase());
        res.writeHead(200, { connection: 'close' });
        res.end((req.socket as TLSSocket).authorized ? 'ok' : 'unauthorized');
      },
    );
    await new Promise<void>((r) => https.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => https.close(() => r())));
    const identity = new TestIdentity(await suite.pki.leaf(CLIENT));
    const svc = service('web', await freePort(), 'test');
    const port = (https.address() as { port: number }).port;
    const outbound = await startOutboundProxy({
      configSource: new ManualConfigSource({
        services: [svc],
        httpRoutes: [],
        endpoints: [endpoints(svc, [{ port, identity: WEB }])],
      }),
      identity,
    });
    cleanup.push(() => outbound.close({ drainMs: 100 }));

    const bodies: string[] = [];
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const r = await client.send(svc.spec.ports[0]!.port, '/');
          bodies.push(`${r.status} ${r.body}`);
        }
      }),
    );
    const issued: string[] = [serial(identity.current()!.certChainPem)];
    for (let i = 0; i < 3; i++) {
      const before = seen.length;
      const next = await suite.pki.leaf(CLIENT);
      identity.set(next);
      issued.push(serial(next.certChainPem));
      // wait (bounded) until a connection made after the renewal has been seen
      const deadline = Date.now() + 5_000;
      while (seen.length < before + 8 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await load;
    expect(bodies.length).toBeGreaterThan(20);
    expect(bodies.filter((b) => b !== '200 ok')).toEqual([]);
    // every certificate was used, and the last connections present the last one
    expect(new Set(seen)).toEqual(new Set(issued));
    expect(seen.at(-1)).toBe(issued.at(-1));
  });

  it('inbound: new connections are served the renewed certificate, no request fails', async () => {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    const identity = new TestIdentity(await suite.pki.leaf(WEB));
    const inbound = await startInboundProxy({ appPort: app.port, identity, requireIdentity: true });
    cleanup.push(() => inbound.close({ drainMs: 100 }));
    const me = await suite.pki.leaf(CLIENT);

    const results: string[] = [];
    const served: string[] = [];
    const once = () =>
      new Promise<void>((resolve) => {
        const req = httpsRequest(
          {
            host: HOST,
            port: inbound.port,
            path: '/',
            servername: WEB,
            ca: me.trustAnchorsPem,
            key: me.keyPem,
            cert: me.certChainPem,
            agent: false, // a new TLS connection each time
          },
          (res) => {
            served.push((res.socket as TLSSocket).getPeerCertificate().serialNumber.toUpperCase());
            res.resume();
            res.on('end', () => {
              results.push(String(res.statusCode));
              resolve();
            });
          },
        );
        req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
        req.on('error', (err) => {
          results.push(err.message);
          resolve();
        });
        req.end();
      });
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) await once();
      }),
    );
    const issued = [serial(identity.current()!.certChainPem)];
    for (let i = 0; i < 3; i++) {
      const before = served.length;
      const next = await suite.pki.leaf(WEB);
      identity.set(next);
      issued.push(serial(next.certChainPem));
      const deadline = Date.now() + 5_000;
      while (served.length < before + 8 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await load;
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((r) => r !== '200')).toEqual([]);
    expect(new Set(served)).toEqual(new Set(issued));
    expect(served.at(-1)).toBe(issued.at(-1));
  });
});
