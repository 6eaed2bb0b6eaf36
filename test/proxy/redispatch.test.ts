import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { peakEwma, roundRobin, startOutboundProxy, type BalancerFactory } from '../../proxy/index.js';
import {
  Client,
  endpoints,
  freePort,
  httpRoute,
  backend,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
  type Reply,
  type RuleInput,
} from './support/harness.js';
import { H2TestClient, startH2App, type H2App } from './support/h2.js';
import { grpcClient, startGrpcApp, unary, type GrpcApp } from './support/grpc.js';
import { parsePrometheusText, select, total, type ParsedMetrics } from './support/prom.js';

/**
 * A request that was never sent (the chosen endpoint refused the connection: its pod's app or sidecar just
 * died and discovery has not said so yet) goes to another endpoint of the backend (proxy/redispatch.ts),
 * on the fast path and the policy path, HTTP/1.1, h2c and gRPC, without a retry policy. The dead
 * endpoint is a port that was bound and closed.
 */
describe('a request never sent goes to another endpoint', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  interface Setup {
    port: number;
    /** attach an HTTPRoute with these rules to `web` (the policy path) */
    route(rules: RuleInput[]): Promise<void>;
    metrics(): Promise<ParsedMetrics>;
  }

  /** Service `web` whose endpoints are `dead` ports (refusing) then `live` ones, by pod name */
  async function proxyFor(
    eps: Array<{ pod: string; port: number }>,
    o: { balancer?: BalancerFactory } = {},
  ): Promise<Setup> {
    const port = await freePort();
    const web = service('web', port);
    const eset = endpoints(
      web,
      eps.map((e) => ({ ...e, deployment: e.pod.replace(/-\d+$/, '') })),
    );
    const source = new ManualConfigSource({ services: [web], httpRoutes: [], endpoints: [eset] });
    const proxy = await startOutboundProxy({ configSource: source, balancer: o.balancer ?? roundRobin });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    const metrics = async () => {
      const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      return parsePrometheusText(await res.text());
    };
    const route = async (rules: RuleInput[]) => {
      source.set({ services: [web], httpRoutes: [httpRoute('web', 'web', rules)], endpoints: [eset] });
      await proxy.settled();
    };
    return { port, route, metrics };
  }

  async function echo(name: string): Promise<Echo> {
    const app = await startEcho(name);
    cleanup.push(() => app.close());
    return app;
  }

  function client(keepAlive = true): Client {
    const c = new Client();
    if (!keepAlive) (c as { agent: Agent }).agent = new Agent({ keepAlive: false });
    cleanup.push(() => c.close());
    return c;
  }

  const servedBy = (r: Reply) => r.headers['x-served-by'];

  /** what the endpoint series of pod `pod` counted: requests, and failed responses */
  function endpointCounts(m: ParsedMetrics, pod: string): { requests: number; failures: number } {
    return {
      requests: total(m, 'request_total', { dst_pod: pod }),
      failures: total(m, 'response_total', { dst_pod: pod, classification: 'failure' }),
    };
  }

  describe('HTTP/1.1', () => {
    it('every request is answered by the live endpoint, over keep-alive and new connections, any method', async () => {
      const live = await echo('live');
      const s = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'live-0', port: live.port },
      ]);
      const n = 20;
      for (const c of [client(true), client(false)]) {
        for (let i = 0; i < n; i++) {
          const method = ['GET', 'POST', 'DELETE', 'PATCH'][i % 4] as string;
          const r = await c.send(s.port, `/r${i}`, { method });
          expect(r.status).toBe(200);
          expect(servedBy(r)).toBe('live');
          expect(r.headers['weir-proxy-error']).toBeUndefined();
        }
      }
      expect(live.seen).toHaveLength(2 * n);
      const m = await s.metrics();
      // round robin (no failure accrual): the re-dispatch's pick moves the rotation on to the live
      // endpoint, so every request starts at the dead one: every request was refused once first
      expect(endpointCounts(m, 'dead-0')).toEqual({ requests: 2 * n, failures: 2 * n });
      expect(endpointCounts(m, 'live-0')).toEqual({ requests: 2 * n, failures: 0 });
      // the route counts what the clients got: 200s, no error
      const statuses = select(m, 'outbound_http_route_request_statuses_total');
      expect(statuses.reduce((a, x) => a + x.value, 0)).toBe(2 * n);
      expect(statuses.every((x) => x.labels.http_status === '200' && (x.labels.error ?? '') === '')).toBe(true);
      expect(total(m, 'outbound_http_route_backend_response_statuses_total', { http_status: '200' })).toBe(2 * n);
      expect(total(m, 'outbound_http_route_retry_requests_total')).toBe(0);
    });

    it('a POST body is delivered whole after a refused first attempt, streamed or large, fast and policy path', async () => {
      const live = await echo('live');
      const s = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'live-0', port: live.port },
      ]);
      const big = Buffer.alloc(200 * 1024, 'x');
      const small = Buffer.from('{"hello":"world"}');
      const c = client();
      const bodies: Array<Buffer | Buffer[]> = [small, big, [big.subarray(0, 70_000), big.subarray(70_000)], small];
      for (const path of ['fast', 'policy']) {
        if (path === 'policy') await s.route([{ backendRefs: [backend('web', s.port)], timeouts: { request: '10s' } }]);
        live.seen.length = 0;
        for (const body of bodies) {
          const r = await c.send(s.port, '/upload', { method: 'POST', body, timeoutMs: 10_000 });
          expect(r.status).toBe(200);
          expect(servedBy(r)).toBe('live');
        }
        expect(live.seen.map((x) => x.body.length)).toEqual([small.length, big.length, big.length, small.length]);
        expect(live.seen[1]!.body).toBe(big.toString());
        expect(live.seen[2]!.body).toBe(big.toString());
      }
      // every request was refused once first (round robin)
      expect(endpointCounts(await s.metrics(), 'dead-0').failures).toBe(2 * bodies.length);
    });

    it('on the policy path, without counting against the retry policy or its budget', async () => {
      const live = await echo('live');
      const s = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'live-0', port: live.port },
      ]);
      await s.route([{ backendRefs: [backend('web', s.port)], retry: { codes: [503], attempts: 1, backoff: '1ms' } }]);
      const c = client();
      for (let i = 0; i < 10; i++) {
        const r = await c.send(s.port, `/p${i}`, { method: 'POST', body: `body ${i}` });
        expect(r.status).toBe(200);
        expect(servedBy(r)).toBe('live');
      }
      expect(live.seen.map((x) => x.body)).toEqual(Array.from({ length: 10 }, (_, i) => `body ${i}`));
      const m = await s.metrics();
      expect(total(m, 'outbound_http_route_retry_requests_total')).toBe(0);
      expect(total(m, 'outbound_http_route_retry_limit_exceeded_total')).toBe(0);
      expect(endpointCounts(m, 'dead-0').failures).toBe(10);
    });

    it('the balancer hears of the refusals: failure accrual ejects the dead endpoint', async () => {
      const live = await echo('live');
      const s = await proxyFor(
        [
          { pod: 'dead-0', port: await freePort() },
          { pod: 'live-0', port: live.port },
        ],
        { balancer: peakEwma({ failureAccrual: { maxFailures: 3, minPenaltyMs: 60_000 } }) },
      );
      const c = client();
      for (let i = 0; i < 40; i++) {
        const r = await c.send(s.port, `/e${i}`);
        expect(r.status).toBe(200);
      }
      // three consecutive failures eject it for a minute: no request is sent to it after that
      expect(endpointCounts(await s.metrics(), 'dead-0').requests).toBe(3);
    });

    it('a backend whose only endpoints refuse still answers 502, after at most two re-dispatches', async () => {
      const single = await proxyFor([{ pod: 'dead-0', port: await freePort() }]);
      const c = client();
      const r = await c.send(single.port, '/');
      expect(r.status).toBe(502);
      expect(r.headers['weir-proxy-error']).toBe('connection refused');
      expect(endpointCounts(await single.metrics(), 'dead-0').requests).toBe(1);

      const three = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'dead-1', port: await freePort() },
        { pod: 'dead-2', port: await freePort() },
      ]);
      for (let i = 0; i < 3; i++) {
        const r3 = await c.send(three.port, '/', { method: 'POST', body: 'x' });
        expect(r3.status).toBe(502);
        expect(r3.headers['weir-proxy-error']).toBe('connection refused');
      }
      // three tries per request (the first, two re-dispatches), never twice in a row on one endpoint
      const m = await three.metrics();
      expect(total(m, 'request_total', { dst_service: 'web' })).toBe(9);
      expect(select(m, 'outbound_http_route_request_statuses_total').every((x) => x.labels.error === 'IO')).toBe(true);
    });
  });

  describe('HTTP/2 (h2c)', () => {
    async function h2(name: string): Promise<H2App> {
      const app = await startH2App(name);
      cleanup.push(() => app.close());
      return app;
    }

    it('every stream is answered by the live endpoint, bodies and trailers whole', async () => {
      const live = await h2('live');
      const s = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'live-0', port: live.port },
      ]);
      const c = new H2TestClient(s.port);
      cleanup.push(() => c.close());
      const n = 20;
      for (let i = 0; i < n; i++) {
        const withBody = i % 2 === 1;
        const r = await c.request(
          { ':method': withBody ? 'POST' : 'GET', ':path': `/s${i}` },
          withBody ? { body: [Buffer.alloc(1000, 'a'), Buffer.alloc(500, 'b')], trailers: { 'x-sum': 'abc' } } : {},
        );
        expect(r.status).toBe(200);
        expect(r.headers['x-served-by']).toBe('live');
        const json = JSON.parse(r.body.toString()) as { bodyLength: number; trailers?: Record<string, string> };
        if (withBody) {
          expect(json.bodyLength).toBe(1500);
          expect(json.trailers?.['x-sum']).toBe('abc');
        }
      }
      const m = await s.metrics();
      expect(endpointCounts(m, 'dead-0')).toEqual({ requests: n, failures: n });
      expect(total(m, 'outbound_http_route_request_statuses_total', { http_status: '200' })).toBe(n);
    });

    it('a backend whose only endpoint refuses still answers 502', async () => {
      const s = await proxyFor([{ pod: 'dead-0', port: await freePort() }]);
      const c = new H2TestClient(s.port);
      cleanup.push(() => c.close());
      const r = await c.request({ ':method': 'POST', ':path': '/' }, { body: Buffer.from('x') });
      expect(r.status).toBe(502);
      expect(r.headers['weir-proxy-error']).toBe('connection refused');
    });
  });

  describe('gRPC (@grpc/grpc-js)', () => {
    async function grpcApp(name: string): Promise<GrpcApp> {
      const app = await startGrpcApp(name);
      cleanup.push(() => app.close());
      return app;
    }

    it('every call is answered by the live endpoint', async () => {
      const live = await grpcApp('live');
      const s = await proxyFor([
        { pod: 'dead-0', port: await freePort() },
        { pod: 'live-0', port: live.port },
      ]);
      const c = grpcClient(s.port);
      cleanup.push(() => c.close());
      const n = 20;
      for (let i = 0; i < n; i++) {
        const r = await unary(c, 'Echo', { text: `hello ${i}` });
        expect(r.error).toBeUndefined();
        expect(r.reply).toMatchObject({ app: 'live', text: `hello ${i}` });
      }
      expect(live.calls).toHaveLength(n);
      const m = await s.metrics();
      expect(endpointCounts(m, 'dead-0').failures).toBe(n);
      // no GRPCRoute: the Service's default HTTP route counts the calls
      const statuses = select(m, 'outbound_http_route_request_statuses_total');
      expect(statuses.reduce((a, x) => a + x.value, 0)).toBe(n);
      expect(statuses.every((x) => x.labels.http_status === '200' && (x.labels.error ?? '') === '')).toBe(true);
    });
  });
});
