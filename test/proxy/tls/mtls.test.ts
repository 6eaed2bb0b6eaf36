import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type DetailedPeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { InboundProxyOptions } from '../../../proxy/inbound.js';
import type { TlsMaterial } from '../../../proxy/tls/material.js';
import { meshIdentity, MeshPki } from '../../support/mesh-pki.js';
import { HOST, startEcho, type Echo } from '../support/harness.js';
import { H2TestClient, startH2App } from '../support/h2.js';
import { RawClient } from '../support/raw.js';
import { total } from '../support/prom.js';
import { meshSuite, startMtlsMesh, startsWithTls, type MtlsMesh } from './support.js';

const WEB = meshIdentity('web', 'test');
const CLIENT = meshIdentity('client', 'test');

describe('mutual TLS between meshed proxies', () => {
  const suite = meshSuite();
  const { cleanup, client } = suite;

  async function echo(): Promise<Echo> {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    return app;
  }

  /** a mesh whose sides have the right material unless told otherwise */
  async function mesh(o: {
    appPort: number;
    announced: string | undefined;
    client?: TlsMaterial;
    server?: TlsMaterial;
    inbound?: Partial<InboundProxyOptions>;
  }): Promise<MtlsMesh> {
    const m = await startMtlsMesh({
      ...o,
      client: o.client ?? (await suite.pki.leaf(CLIENT)),
      server: o.server ?? (await suite.pki.leaf(WEB)),
    });
    cleanup.push(() => m.close());
    return m;
  }

  it('HTTP/1.1 goes over mTLS: the wire carries TLS, the inbound records the client identity, both sides label it', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: WEB });
    const r = await client.send(m.port, '/hello', { headers: { 'x-secret': 'plaintext-marker' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/hello');
    expect(m.relay.connections.length).toBeGreaterThan(0);
    for (const c of m.relay.connections) expect(startsWithTls(c)).toBe(true);
    expect(m.relay.all.includes('plaintext-marker')).toBe(false);
    const inbound = await m.metrics('inbound');
    expect(total(inbound, 'request_total', { direction: 'inbound', tls: 'true', client_id: CLIENT })).toBe(1);
    const outbound = await m.metrics('outbound');
    expect(
      total(outbound, 'response_total', { direction: 'outbound', tls: 'true', server_id: WEB, status_code: '200' }),
    ).toBe(1);
  });

  it('HTTP/2 goes over mTLS with ALPN h2, and reaches an h2c app', async () => {
    const app = await startH2App('web');
    cleanup.push(() => app.close());
    const m = await mesh({ appPort: app.port, announced: WEB });
    const h2 = new H2TestClient(m.port);
    cleanup.push(() => h2.close());
    for (let i = 0; i < 3; i++) {
      const r = await h2.request({ ':method': 'GET', ':path': `/s${i}`, ':authority': 'web', 'x-secret': 'h2-marker' });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.toString()).path).toBe(`/s${i}`);
    }
    expect(app.seen).toHaveLength(3);
    for (const c of m.relay.connections) expect(startsWithTls(c)).toBe(true);
    expect(m.relay.all.includes('h2-marker')).toBe(false);
    expect(m.relay.all.includes('PRI * HTTP/2.0')).toBe(false);
    const inbound = await m.metrics('inbound');
    expect(total(inbound, 'request_total', { direction: 'inbound', tls: 'true', client_id: CLIENT })).toBe(3);
    const outbound = await m.metrics('outbound');
    expect(total(outbound, 'request_total', { direction: 'outbound', tls: 'true', server_id: WEB })).toBe(3);
  });

  it('opaque TCP goes over mTLS too, both directions', async () => {
    const { createServer } = await import('node:net');
    const lines = createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', (c: Buffer) => s.write(`app says ${c.toString().trim().toUpperCase()}\n`));
    });
    await new Promise<void>((r) => lines.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => lines.close(() => r())));
    const m = await mesh({ appPort: (lines.address() as { port: number }).port, announced: WEB });
    const c = new RawClient(m.port);
    cleanup.push(() => c.close());
    c.write('opaque-marker\n');
    expect(await c.until((t) => t.includes('\n'))).toBe('app says OPAQUE-MARKER\n');
    expect(m.relay.connections).toHaveLength(1);
    expect(startsWithTls(m.relay.connections[0]!)).toBe(true);
    expect(m.relay.all.includes('opaque-marker')).toBe(false);
  });

  it('an HTTP/1.1 upgrade (WebSocket) is spliced over mTLS', async () => {
    const { createServer } = await import('node:http');
    const app = createServer((_req, res) => res.end('plain'));
    app.on('upgrade', (_req, socket: import('node:stream').Duplex) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (c: Buffer) => socket.write(`echo:${c.toString()}`));
      socket.on('error', () => undefined);
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((r) => app.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => app.close(() => r())));
    const m = await mesh({ appPort: (app.address() as { port: number }).port, announced: WEB });
    const c = new RawClient(m.port);
    cleanup.push(() => c.close());
    c.write('GET /ws HTTP/1.1\r\nHost: web\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await c.until((t) => t.includes('\r\n\r\n'));
    expect(c.received.toString()).toMatch(/^HTTP\/1\.1 101 /);
    c.write('ws-marker');
    await c.until((t) => t.includes('echo:ws-marker'));
    expect(m.relay.connections).toHaveLength(1);
    expect(startsWithTls(m.relay.connections[0]!)).toBe(true);
    expect(m.relay.all.includes('ws-marker')).toBe(false);
    expect(m.relay.all.includes('Upgrade: websocket')).toBe(false);
  });

  it('an endpoint without identity stays plaintext, labelled no_identity', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: undefined });
    expect((await client.send(m.port, '/plain')).status).toBe(200);
    expect(m.relay.all.toString('latin1')).toContain('GET /plain HTTP/1.1');
    const outbound = await m.metrics('outbound');
    const where = { direction: 'outbound', tls: 'no_identity', no_tls_reason: 'not_provided_by_service_discovery' };
    expect(total(outbound, 'request_total', where)).toBe(1);
    const inbound = await m.metrics('inbound');
    expect(
      total(inbound, 'request_total', {
        direction: 'inbound',
        tls: 'no_identity',
        no_tls_reason: 'no_tls_from_remote',
      }),
    ).toBe(1);
  });

  it('plaintext and TLS connections to one address are never mixed: an identity announced later opens TLS', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: undefined });
    expect((await client.send(m.port, '/one')).status).toBe(200);
    expect(m.relay.connections).toHaveLength(1);
    await m.announce(WEB);
    expect((await client.send(m.port, '/two')).status).toBe(200);
    expect(m.relay.connections).toHaveLength(2);
    expect(startsWithTls(m.relay.connections[0]!)).toBe(false);
    expect(startsWithTls(m.relay.connections[1]!)).toBe(true);
    expect(m.relay.connections[1]!.includes('/two')).toBe(false);
  });

  it('a server whose leaf names another identity is refused: 502 server identity mismatch, counted, nothing sent', async () => {
    const app = await echo();
    const impostor = await suite.pki.leaf(WEB, { dns: meshIdentity('impostor', 'test') });
    const m = await mesh({ appPort: app.port, announced: WEB, server: impostor });
    const r = await client.send(m.port, '/x', { headers: { 'x-secret': 'must-not-leak' } });
    expect(r.status).toBe(502);
    expect(r.headers['weir-proxy-error']).toBe('server identity mismatch');
    expect(r.headers['l5d-proxy-error']).toBe('server identity mismatch');
    expect(app.seen).toHaveLength(0);
    expect(m.relay.all.includes('must-not-leak')).toBe(false);
    const outbound = await m.metrics('outbound');
    expect(
      total(outbound, 'outbound_tls_handshake_failures_total', { server_id: WEB, reason: 'identity_mismatch' }),
    ).toBeGreaterThanOrEqual(1);
    expect(total(outbound, 'response_total', { server_id: WEB, status_code: '502', classification: 'failure' })).toBe(
      1,
    );
  });

  it('the same mismatch refuses h2 streams and opaque connections', async () => {
    const app = await startH2App('web');
    cleanup.push(() => app.close());
    const impostor = await suite.pki.leaf(WEB, { dns: meshIdentity('impostor', 'test') });
    const m = await mesh({ appPort: app.port, announced: WEB, server: impostor });
    const h2 = new H2TestClient(m.port);
    cleanup.push(() => h2.close());
    const r = await h2.request({ ':method': 'GET', ':path': '/', ':authority': 'web' });
    expect(r.status).toBe(502);
    expect(r.headers['weir-proxy-error']).toBe('server identity mismatch');
    const raw = new RawClient(m.port);
    cleanup.push(() => raw.close());
    raw.write('opaque bytes\n');
    await raw.end();
    expect(raw.received.length).toBe(0);
    expect(app.seen).toHaveLength(0);
    expect(m.relay.all.includes('opaque bytes')).toBe(false);
  });

  it('the inbound closes a connection whose client certificate comes from another trust anchor', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: WEB });
    const stranger = await (await MeshPki.create('stranger-root')).leaf(CLIENT);
    const status = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        {
          host: HOST,
          port: m.inbound.port,
          path: '/',
          servername: WEB,
          ca: suite.pki.trustAnchorsPem,
          key: stranger.keyPem,
          cert: stranger.certChainPem,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(String(res.statusCode));
        },
      );
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
    // closed after the handshake, before any answer (a reset or a hang-up: ECONNRESET, or EPIPE mid-write)
    expect(['ECONNRESET', 'EPIPE']).toContain(status);
    expect(app.seen).toHaveLength(0);
  });

  it('a proxy that gets its first certificate after start turns meshed endpoints to mTLS', async () => {
    const app = await echo();
    const m = await startMtlsMesh({
      appPort: app.port,
      announced: WEB,
      client: undefined,
      server: await suite.pki.leaf(WEB),
    });
    cleanup.push(() => m.close());
    expect((await client.send(m.port, '/before')).status).toBe(200);
    expect(startsWithTls(m.relay.connections[0]!)).toBe(false);
    let outbound = await m.metrics('outbound');
    expect(total(outbound, 'request_total', { tls: 'no_identity', no_tls_reason: 'disabled' })).toBe(1);
    m.clientIdentity.set(await suite.pki.leaf(CLIENT));
    await m.outbound.settled();
    expect((await client.send(m.port, '/after')).status).toBe(200);
    expect(startsWithTls(m.relay.connections.at(-1)!)).toBe(true);
    outbound = await m.metrics('outbound');
    expect(total(outbound, 'request_total', { tls: 'true', server_id: WEB })).toBe(1);
  });

  it('a server chain from another trust anchor is refused: 502 server certificate not trusted', async () => {
    const app = await echo();
    const other = await MeshPki.create('other-root');
    const m = await mesh({ appPort: app.port, announced: WEB, server: await other.leaf(WEB) });
    const r = await client.send(m.port, '/x');
    expect(r.status).toBe(502);
    expect(r.headers['weir-proxy-error']).toBe('server certificate not trusted');
    expect(app.seen).toHaveLength(0);
    const outbound = await m.metrics('outbound');
    expect(
      total(outbound, 'outbound_tls_handshake_failures_total', { server_id: WEB, reason: 'untrusted' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('Node tls.connect with the workload identity as SNI sees a chain that names it and ends at the trust anchor', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: WEB });
    const socket = tlsConnect({ host: HOST, port: m.inbound.port, servername: WEB, ca: suite.pki.trustAnchorsPem });
    cleanup.push(() => void socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.authorized).toBe(true);
    const leaf = socket.getPeerCertificate(true);
    expect(leaf.subjectaltname).toContain(`DNS:${WEB}`);
    expect(leaf.subjectaltname).toContain('URI:spiffe://cluster.local/ns/test/sa/web');
    let c: DetailedPeerCertificate = leaf;
    const chain: DetailedPeerCertificate[] = [c];
    while (c.issuerCertificate !== undefined && c.issuerCertificate !== c) {
      c = c.issuerCertificate;
      chain.push(c);
    }
    expect(chain.length).toBe(3);
    expect(c.fingerprint256).toBe(new X509Certificate(suite.pki.trustAnchorsPem).fingerprint256);
  });

  it('TLS for another name passes through to the app untouched', async () => {
    const { createServer } = await import('node:net');
    let received = Buffer.alloc(0);
    const raw = createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', (c: Buffer) => {
        received = Buffer.concat([received, c]);
        s.end();
      });
    });
    await new Promise<void>((r) => raw.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => raw.close(() => r())));
    const m = await mesh({ appPort: (raw.address() as { port: number }).port, announced: WEB });
    const socket = tlsConnect({
      host: HOST,
      port: m.inbound.port,
      servername: 'api.example.com',
      rejectUnauthorized: false,
    });
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('close', () => r()));
    // the app got the ClientHello itself, naming the other host
    expect(startsWithTls(received)).toBe(true);
    expect(received.toString('latin1')).toContain('api.example.com');
  });

  describe('plaintext at the inbound port', () => {
    it('is served by default', async () => {
      const app = await echo();
      const m = await mesh({ appPort: app.port, announced: WEB });
      expect((await client.send(m.inbound.port, '/direct')).status).toBe(200);
    });

    it('is refused with requireIdentity: HTTP/1.1 and h2 get 403, opaque is closed, TLS without a certificate gets 403', async () => {
      const app = await echo();
      const m = await mesh({ appPort: app.port, announced: WEB, inbound: { requireIdentity: true } });
      const r = await client.send(m.inbound.port, '/direct');
      expect(r.status).toBe(403);
      expect(r.headers['weir-proxy-error']).toBe('client identity required');

      const h2 = new H2TestClient(m.inbound.port);
      cleanup.push(() => h2.close());
      const r2 = await h2.request({ ':method': 'GET', ':path': '/', ':authority': 'web' });
      expect(r2.status).toBe(403);
      expect(r2.headers['weir-proxy-error']).toBe('client identity required');

      const raw = new RawClient(m.inbound.port);
      cleanup.push(() => raw.close());
      raw.write('not http at all\n');
      await raw.end();
      expect(raw.received.length).toBe(0);

      const anonymous = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          { host: HOST, port: m.inbound.port, path: '/', servername: WEB, ca: suite.pki.trustAnchorsPem, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(anonymous).toBe(403);
      expect(app.seen).toHaveLength(0);

      // the meshed client is let in
      expect((await client.send(m.port, '/meshed')).status).toBe(200);
      expect(app.seen).toHaveLength(1);
    });
  });

  it('renewal under load: both sides rotate their certificates while requests run, none fails', async () => {
    const app = await echo();
    const m = await mesh({ appPort: app.port, announced: WEB });
    const before = await serialOf(m.inbound.port);
    const statuses: string[] = [];
    let rotations = 0;
    const load = (async () => {
      for (let i = 0; i < 400; i++) {
        const batch = await Promise.all(
          Array.from({ length: 4 }, (_, j) =>
            // one request in four on a new connection from the client (its own agent), so the outbound keeps opening
            client.send(m.port, `/r${i}-${j}`, j === 0 ? { headers: { connection: 'close' } } : {}),
          ),
        );
        for (const r of batch) statuses.push(`${r.status} ${String(r.headers['weir-proxy-error'] ?? '')}`.trim());
        if (rotations >= 3 && i > 30) break;
      }
    })();
    for (; rotations < 3; rotations++) {
      m.serverIdentity.set(await suite.pki.leaf(WEB));
      m.clientIdentity.set(await suite.pki.leaf(CLIENT));
      await new Promise((r) => setTimeout(r, 50));
    }
    await load;
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== '200')).toEqual([]);
    // new connections get the new certificate
    const after = await serialOf(m.inbound.port);
    expect(after).not.toBe(before);
    expect(after).toBe(serialFromPem(m.serverIdentity.current()!.certChainPem));
  });
});

function serialFromPem(chain: string): string {
  return new X509Certificate(chain).serialNumber.toUpperCase();
}

async function serialOf(port: number): Promise<string> {
  const socket = tlsConnect({ host: HOST, port, servername: WEB, rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return socket.getPeerCertificate().serialNumber.toUpperCase();
  } finally {
    socket.destroy();
  }
}
