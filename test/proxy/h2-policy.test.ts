import * as grpc from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import type { HTTPRoute, Service } from '../../engine/resources/index.js';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import {
  backend,
  endpoints,
  freePort,
  httpRoute,
  ManualConfigSource,
  service,
  type RuleInput,
  until,
} from './support/harness.js';
import { grpcClient, startGrpcApp, unary, type GrpcApp, type TestClient } from './support/grpc.js';
import { H2TestClient, startH2App, type H2App, type H2Handler } from './support/h2.js';
import { parsePrometheusText, select, total, type ParsedMetrics } from './support/prom.js';

/** HTTPRoute filters, timeouts and retries on the HTTP/2 path (h2c and gRPC), h2/exchange.ts. */
describe('outbound proxy: HTTPRoute policy over HTTP/2', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  interface Mesh {
    proxy: OutboundProxy;
    port: number;
    apps: Record<string, H2App>;
    svcs: Record<string, Service>;
  }

  /** Service `web` (parent of the route) and Services `v1`, `v2`, `mirror`, each one h2c app */
  async function mesh(
    rules: (port: (name: string) => number) => RuleInput[],
    handlers: Record<string, H2Handler> = {},
  ): Promise<Mesh> {
    const apps: Record<string, H2App> = {};
    const svcs: Record<string, Service> = {};
    for (const name of ['web', 'v1', 'v2', 'mirror']) {
      apps[name] = await startH2App(name, handlers[name]);
      cleanup.push(() => apps[name]!.close());
      svcs[name] = service(name, await freePort());
    }
    const port = (n: string) => svcs[n]!.spec.ports[0]!.port;
    const source = new ManualConfigSource({
      services: Object.values(svcs),
      httpRoutes: [httpRoute('web-policy', 'web', rules(port))],
      endpoints: Object.keys(svcs).map((n) => endpoints(svcs[n]!, [{ port: apps[n]!.port, deployment: n }])),
    });
    const proxy = await startOutboundProxy({ configSource: source, routePolicy: { random: () => 0 } });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    return { proxy, port: port('web'), apps, svcs };
  }

  function client(port: number): H2TestClient {
    const c = new H2TestClient(port);
    cleanup.push(() => c.close());
    return c;
  }

  const scrape = async (m: Mesh): Promise<ParsedMetrics> => {
    const res = await fetch(`http://127.0.0.1:${m.proxy.adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parsePrometheusText(await res.text());
  };

  const get = (path: string, extra: Record<string, string> = {}) => ({ ':method': 'GET', ':path': path, ...extra });

  it('RequestHeaderModifier and ResponseHeaderModifier, rule and backendRef level, both directions', async () => {
    const m = await mesh((port) => [
      {
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'X-Env', value: 'prod' }],
              add: [{ name: 'x-tag', value: 'rule' }],
              remove: ['x-drop'],
            },
          },
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: { set: [{ name: 'x-route', value: 'web-policy' }], remove: ['x-served-by'] },
          },
        ],
        backendRefs: [
          {
            ...backend('v1', port('v1')),
            filters: [
              { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-backend', value: 'v1' }] } },
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { add: [{ name: 'x-backend-seen', value: 'yes' }] },
              },
            ],
          },
        ],
      },
    ]);
    const r = await client(m.port).request(get('/hello?q=1', { 'x-env': 'dev', 'x-tag': 'client', 'x-drop': 'gone' }));
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body.toString()) as { app: string; path: string; headers: IncomingHttpHeaders };
    expect(seen.app).toBe('v1');
    expect(seen.path).toBe('/hello?q=1');
    expect(seen.headers['x-env']).toBe('prod');
    expect(seen.headers['x-tag']).toBe('client,rule');
    expect(seen.headers['x-drop']).toBeUndefined();
    expect(seen.headers['x-backend']).toBe('v1');
    expect(r.headers['x-route']).toBe('web-policy');
    expect(r.headers['x-backend-seen']).toBe('yes');
    expect(r.headers['x-served-by']).toBeUndefined();
    // trailers still pass
    expect(r.trailers?.['x-app-trailer']).toBe('v1');
  });

  it('RequestMirror: the mirror gets a copy (headers and small body), the client only the real answer', async () => {
    const m = await mesh((port) => [
      {
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend('mirror', port('mirror')) } }],
        backendRefs: [backend('v1', port('v1'))],
      },
    ]);
    const c = client(m.port);
    const r = await c.request({ ':method': 'POST', ':path': '/copy', 'x-id': '7' }, { body: Buffer.from('payload') });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ app: 'v1', bodyLength: 7 });
    await until(() => m.apps.mirror!.seen.length === 1);
    expect(m.apps.mirror!.seen[0]).toMatchObject({ ':method': 'POST', ':path': '/copy', 'x-id': '7' });
    // a body over 64 KiB is not mirrored, the request still goes through
    const big = await c.request({ ':method': 'POST', ':path': '/large-body' }, { body: Buffer.alloc(100 * 1024, 1) });
    expect(big.status, big.body.toString()).toBe(200);
    expect(JSON.parse(big.body.toString())).toMatchObject({ app: 'v1', bodyLength: 100 * 1024 });
    await new Promise((r2) => setTimeout(r2, 100));
    expect(m.apps.mirror!.seen).toHaveLength(1);
  });

  it('RequestMirror to a mirror that never answers does not delay the client', async () => {
    const m = await mesh(
      (port) => [
        {
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend('mirror', port('mirror')) } }],
          backendRefs: [backend('v1', port('v1'))],
        },
      ],
      { mirror: () => true },
    );
    const t0 = Date.now();
    const r = await client(m.port).request(get('/x'));
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await until(() => m.apps.mirror!.seen.length === 1);
  });

  it('timeouts.request: 504 with weir-proxy-error over h2c', async () => {
    const m = await mesh((port) => [{ timeouts: { request: '200ms' }, backendRefs: [backend('v1', port('v1'))] }], {
      v1: (_s, h) => h[':path'] === '/stall',
    });
    const t0 = Date.now();
    const r = await client(m.port).request(get('/stall'));
    expect(r.status).toBe(504);
    expect(r.headers['weir-proxy-error']).toBe('request timeout');
    expect(Date.now() - t0).toBeLessThan(2_000);
    // others are unaffected
    expect((await client(m.port).request(get('/ok'))).status).toBe(200);
  });

  it('timeouts.backendRequest: 504 backend request timeout over h2c', async () => {
    const m = await mesh(
      (port) => [{ timeouts: { backendRequest: '150ms' }, backendRefs: [backend('v1', port('v1'))] }],
      { v1: () => true },
    );
    const r = await client(m.port).request({ ':method': 'POST', ':path': '/slow' }, { body: Buffer.from('x') });
    expect(r.status).toBe(504);
    expect(r.headers['weir-proxy-error']).toBe('backend request timeout');
    // per route: no status forwarded, Linkerd's error label
    const mt = await scrape(m);
    const statuses = select(mt, 'outbound_http_route_request_statuses_total', { route_name: 'web-policy' });
    expect(statuses.map((x) => [x.labels.http_status ?? '', x.labels.error, x.value])).toEqual([
      ['', 'RESPONSE_HEADERS_TIMEOUT', 1],
    ]);
  });

  it('retry: 503 then 200 over h2c, with the body replayed', async () => {
    let calls = 0;
    const m = await mesh(
      (port) => [{ retry: { attempts: 2, codes: [503], backoff: '10ms' }, backendRefs: [backend('v1', port('v1'))] }],
      {
        v1: (stream) => {
          if (++calls > 1) return false;
          stream.respond({ ':status': 503 });
          stream.end('busy');
          return true;
        },
      },
    );
    const r = await client(m.port).request({ ':method': 'POST', ':path': '/retry' }, { body: Buffer.from('twice') });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ app: 'v1', bodyLength: 5 });
    expect(calls).toBe(2);
    // per-route metrics: one retry, successful; two tries on v1 (503, 200); the client got one 200
    const mt = await scrape(m);
    const route = { route_name: 'web-policy', route_rule: '0' };
    expect(total(mt, 'outbound_http_route_retry_requests_total', route)).toBe(1);
    expect(total(mt, 'outbound_http_route_retry_successes_total', route)).toBe(1);
    expect(total(mt, 'outbound_http_route_request_statuses_total', { ...route, http_status: '200' })).toBe(1);
    expect(total(mt, 'outbound_http_route_request_statuses_total', route)).toBe(1);
    const v1 = { ...route, backend_name: 'v1' };
    expect(total(mt, 'outbound_http_route_backend_requests_total', v1)).toBe(2);
    expect(total(mt, 'outbound_http_route_backend_response_statuses_total', { ...v1, http_status: '503' })).toBe(1);
  });

  it('retry: when the retries are used up the client gets the last answer', async () => {
    const m = await mesh(
      (port) => [{ retry: { attempts: 1, codes: [503], backoff: '5ms' }, backendRefs: [backend('v1', port('v1'))] }],
      {
        v1: (stream) => {
          stream.respond({ ':status': 503, 'x-try': 'v1' });
          stream.end('busy');
          return true;
        },
      },
    );
    const r = await client(m.port).request(get('/always'));
    expect(r.status).toBe(503);
    expect(r.body.toString()).toBe('busy');
    expect(m.apps.v1!.seen).toHaveLength(2);
    const mt = await scrape(m);
    const route = { route_name: 'web-policy', route_rule: '0' };
    expect(total(mt, 'outbound_http_route_retry_limit_exceeded_total', route)).toBe(1);
    expect(total(mt, 'outbound_http_route_request_statuses_total', { ...route, http_status: '503' })).toBe(1);
  });

  it('URLRewrite rewrites :path (prefix, query kept) and :authority', async () => {
    const m = await mesh((port) => [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
        filters: [
          {
            type: 'URLRewrite',
            urlRewrite: { hostname: 'new.example', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } },
          },
        ],
        backendRefs: [backend('v1', port('v1'))],
      },
    ]);
    const r = await client(m.port).request(get('/old/page?a=1'));
    expect(JSON.parse(r.body.toString())).toMatchObject({ app: 'v1', path: '/new/page?a=1', authority: 'new.example' });
  });

  it('RequestRedirect answers :status and location, no upstream request', async () => {
    const m = await mesh((port) => [
      {
        filters: [
          { type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'example.com', statusCode: 301 } },
        ],
      },
      { matches: [{ path: { type: 'PathPrefix', value: '/other' } }], backendRefs: [backend('v1', port('v1'))] },
    ]);
    const r = await client(m.port).request(get('/moved?x=1'));
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://example.com/moved?x=1');
    expect(r.headers['weir-proxy-error']).toBeUndefined();
    expect(m.apps.v1!.seen).toHaveLength(0);
  });
});

/** HTTPRoute timeouts for gRPC calls (no GRPCRoute attached: gRPC follows the HTTPRoutes) */
describe('outbound proxy: HTTPRoute timeouts for gRPC', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  it('timeouts.request: DEADLINE_EXCEEDED with grpc-message, as Linkerd', async () => {
    // an h2c app that accepts the call and never answers
    const stall = await startH2App('stall', () => true);
    const ok: GrpcApp = await startGrpcApp('ok');
    cleanup.push(
      () => stall.close(),
      () => ok.close(),
    );
    const svcs = { api: service('api', await freePort()), good: service('good', await freePort()) };
    const route: HTTPRoute = httpRoute('api-timeout', 'api', [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/test.Echo' } }],
        timeouts: { request: '200ms' },
        backendRefs: [backend('api', svcs.api.spec.ports[0]!.port)],
      },
      { timeouts: { request: '2s' }, backendRefs: [backend('good', svcs.good.spec.ports[0]!.port)] },
    ]);
    const source = new ManualConfigSource({
      services: Object.values(svcs),
      httpRoutes: [route],
      endpoints: [endpoints(svcs.api, [{ port: stall.port }]), endpoints(svcs.good, [{ port: ok.port }])],
    });
    const proxy = await startOutboundProxy({ configSource: source });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    const c: TestClient = grpcClient(svcs.api.spec.ports[0]!.port);
    cleanup.push(() => c.close());
    const t0 = Date.now();
    const r = await unary(c, 'Echo', { text: 'slow' });
    expect(r.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(r.error?.details).toBe('request timeout');
    expect(Date.now() - t0).toBeLessThan(2_000);
    // the other rule has a timeout too and answers normally
    expect((await unary(c, 'Ping', { text: 'fast' })).reply).toMatchObject({ app: 'ok', text: 'fast' });
  });
});
