import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { roundRobin, startInboundProxy, startOutboundProxy } from '../../../proxy/index.js';
import { meshIdentity, TestIdentity } from '../../support/mesh-pki.js';
import {
  backend,
  endpoints,
  freePort,
  HOST,
  httpRoute,
  ManualConfigSource,
  service,
  startEcho,
} from '../support/harness.js';
import { grpcClient, startGrpcApp, unary } from '../support/grpc.js';
import { parsePrometheusText, total } from '../support/prom.js';
import { meshSuite } from './support.js';

const WEB = meshIdentity('web', 'test');
const OTHER = meshIdentity('other', 'test');
const CLIENT = meshIdentity('client', 'test');

/**
 * Meshed endpoints (mTLS between the proxies) that cannot take a request although discovery still lists
 * them: a pod whose app crashed (its sidecar answers 502 `connection refused`: nothing reached the app), a
 * pod whose sidecar proves another identity (the handshake is refused: nothing sent). The request goes to
 * the live pod (proxy/redispatch.ts).
 */
describe('meshed endpoints that never got the request: it goes to another pod', () => {
  const suite = meshSuite();
  const { cleanup, client } = suite;

  /** a pod's sidecar (inbound side) in front of `appPort`, proving `identity` */
  async function sidecar(appPort: number, pod: string, identity = WEB): Promise<number> {
    const inbound = await startInboundProxy({
      appPort,
      identity: new TestIdentity(await suite.pki.leaf(identity)),
      namespace: 'test',
      deployment: 'web',
      pod,
      detectTimeoutMs: 300,
    });
    cleanup.push(() => inbound.close({ drainMs: 100 }));
    return inbound.port;
  }

  /** an outbound proxy for Service `web` over these sidecars, each announced with identity WEB */
  async function outbound(pods: Array<{ pod: string; port: number }>, policyPath = false) {
    const port = await freePort();
    const svc = service('web', port, 'test');
    // the policy path: an HTTPRoute with a timeout
    const route = httpRoute(
      'web',
      'web',
      [{ backendRefs: [backend('web', port)], timeouts: { request: '10s' } }],
      'test',
    );
    const config = new ManualConfigSource({
      services: [svc],
      httpRoutes: policyPath ? [route] : [],
      endpoints: [
        endpoints(
          svc,
          pods.map((p) => ({ ...p, deployment: 'web', identity: WEB })),
        ),
      ],
    });
    const proxy = await startOutboundProxy({
      configSource: config,
      identity: new TestIdentity(await suite.pki.leaf(CLIENT)),
      namespace: 'test',
      deployment: 'client',
      balancer: roundRobin,
    });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    const metrics = async () => {
      const res = await fetch(`http://${HOST}:${proxy.adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      return parsePrometheusText(await res.text());
    };
    return { port: svc.spec.ports[0]!.port, metrics };
  }

  it.each([
    ['fast path', false],
    ['policy path', true],
  ])(
    'HTTP/1.1 (%s): a crashed app behind a live sidecar, a sidecar refused by mTLS; every request answered by the live pod',
    async (_, policyPath) => {
      const live = await startEcho('live');
      cleanup.push(() => live.close());
      const crashed = await sidecar(await freePort(), 'crashed-0');
      const impostor = await sidecar(live.port, 'impostor-0', OTHER);
      const ok = await sidecar(live.port, 'live-0');
      const o = await outbound(
        [
          { pod: 'crashed-0', port: crashed },
          { pod: 'impostor-0', port: impostor },
          { pod: 'live-0', port: ok },
        ],
        policyPath,
      );
      const n = 12;
      for (let i = 0; i < n; i++) {
        const r = await client.send(o.port, `/m${i}`, { method: i % 2 === 0 ? 'GET' : 'DELETE' });
        expect(r.status).toBe(200);
        expect(r.headers['weir-proxy-error']).toBeUndefined();
      }
      // the impostor never got a request (refused at the handshake), the live pod all of them
      expect(live.seen).toHaveLength(n);
      const m = await o.metrics();
      expect(total(m, 'response_total', { dst_pod: 'crashed-0', classification: 'failure' })).toBeGreaterThan(0);
      expect(total(m, 'response_total', { dst_pod: 'impostor-0', classification: 'failure' })).toBeGreaterThan(0);
      expect(total(m, 'outbound_http_route_request_statuses_total', { http_status: '200', error: '' })).toBe(n);
    },
  );

  it('HTTP/1.1 (fast path): POSTs with a body reach the live pod whole; a body past 64 KiB is sent once', async () => {
    const live = await startEcho('live');
    cleanup.push(() => live.close());
    const crashed = await sidecar(await freePort(), 'crashed-0');
    const ok = await sidecar(live.port, 'live-0');
    const o = await outbound([
      { pod: 'crashed-0', port: crashed },
      { pod: 'live-0', port: ok },
    ]);
    // the crashed app's sidecar reads the body before it finds the app gone: the proxy kept it to send it again
    const n = 6;
    for (let i = 0; i < n; i++) {
      const body = `payload ${i} `.repeat(100 * (i + 1));
      const r = await client.send(o.port, `/p${i}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain' },
      });
      expect(r.status).toBe(200);
      expect(live.seen.at(-1)).toMatchObject({ url: `/p${i}`, body });
    }
    expect(live.seen).toHaveLength(n);
    // past the limit nothing is kept: the request that went to the crashed pod fails as it did
    const big = 'x'.repeat(70 * 1024);
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await client.send(o.port, '/big', { method: 'POST', body: big })).status);
    expect(statuses.sort()).toEqual([200, 502]);
  });

  it('HTTP/1.1: with no live pod, the crashed app is answered as before (502 connection refused)', async () => {
    const crashed = await sidecar(await freePort(), 'crashed-0');
    const o = await outbound([{ pod: 'crashed-0', port: crashed }]);
    const r = await client.send(o.port, '/');
    expect(r.status).toBe(502);
    expect(r.headers['weir-proxy-error']).toBe('connection refused');
  });

  it.each([
    ['fast path', false],
    ['policy path', true],
  ])('gRPC (%s): a crashed app behind a live sidecar; every call answered by the live pod', async (_, policyPath) => {
    const live = await startGrpcApp('live');
    cleanup.push(() => live.close());
    const crashed = await sidecar(await freePort(), 'crashed-0');
    const ok = await sidecar(live.port, 'live-0');
    const o = await outbound(
      [
        { pod: 'crashed-0', port: crashed },
        { pod: 'live-0', port: ok },
      ],
      policyPath,
    );
    const c = grpcClient(o.port);
    cleanup.push(() => c.close());
    const n = 10;
    for (let i = 0; i < n; i++) {
      const r = await unary(c, 'Echo', { text: `call ${i}` });
      expect(r.error).toBeUndefined();
      expect(r.reply).toMatchObject({ app: 'live', text: `call ${i}` });
    }
    expect(live.calls).toHaveLength(n);
    const m = await o.metrics();
    expect(total(m, 'response_total', { dst_pod: 'crashed-0', classification: 'failure' })).toBe(n);
  });

  // An app cannot pass for its sidecar: the inbound side removes the proxy's error headers from the app's
  // answers, so an app answering "502 weir-proxy-error: connection refused" itself is not taken for a request
  // that never reached it (it did: sending it to another pod would serve it twice).
  it('an app that answers with the proxy error headers itself: its answers are not re-dispatched, and lose them', async () => {
    let liarSeen = 0;
    const liar = createHttpServer((_req, res) => {
      liarSeen++;
      res.writeHead(502, { 'weir-proxy-error': 'connection refused', 'l5d-proxy-error': 'connection refused' });
      res.end('no');
    });
    let h2Seen = 0;
    const liarH2 = createHttp2Server();
    liarH2.on('stream', (stream) => {
      h2Seen++;
      // a gRPC trailers-only answer as a sidecar gives when its app refused the connection
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '14',
          'weir-proxy-error': 'connection refused',
        },
        { endStream: true },
      );
    });
    await new Promise<void>((r) => liar.listen(0, HOST, r));
    await new Promise<void>((r) => liarH2.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => liar.close(() => r())));
    cleanup.push(() => new Promise<void>((r) => liarH2.close(() => r())));
    const live = await startEcho('live');
    cleanup.push(() => live.close());

    const o = await outbound([
      { pod: 'liar-0', port: await sidecar((liar.address() as AddressInfo).port, 'liar-0') },
      { pod: 'live-0', port: await sidecar(live.port, 'live-0') },
    ]);
    const n = 10;
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await client.send(o.port, `/m${i}`, { method: 'POST', body: 'x' });
      statuses.push(r.status);
      expect(r.headers['weir-proxy-error']).toBeUndefined();
      expect(r.headers['l5d-proxy-error']).toBeUndefined();
    }
    // round robin over two pods: the liar's answers reached the client, and nothing was served twice
    expect(liarSeen).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 502)).toHaveLength(liarSeen);
    expect(liarSeen + live.seen.length).toBe(n);

    const g = await outbound([
      { pod: 'liar-h2-0', port: await sidecar((liarH2.address() as AddressInfo).port, 'liar-h2-0') },
    ]);
    const c = grpcClient(g.port);
    cleanup.push(() => c.close());
    const r = await unary(c, 'Echo', { text: 'once' });
    expect(r.error?.code).toBe(14);
    expect(r.trailers?.get('weir-proxy-error')).toEqual([]);
    expect(h2Seen).toBe(1);
  });
});
