import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcRouteSchema } from '../../engine/resources/index.js';
import { roundRobin, startOutboundProxy } from '../../proxy/index.js';
import { BACKEND_BUCKETS_S, ROUTE_BUCKETS_S } from '../../proxy/route-metrics.js';
import { parsePrometheusText, select, total, type ParsedMetrics } from './support/prom.js';
import { grpcClient, startGrpcApp, unary } from './support/grpc.js';
import { backend, endpoints, freePort, ManualConfigSource, service } from './support/harness.js';
import { RouteMesh } from './support/route-mesh.js';

/**
 * Linkerd's per-route and per-backend families (linkerd.md 1.13) on the outbound proxy's `/metrics`:
 * one HTTPRoute with two rules, the first splitting 3:1 between Services `a` and `b`, the second
 * (named `retrying`) retrying 503s on Service `c`.
 */
describe('outbound proxy: per-route and per-backend metrics', () => {
  let m: RouteMesh;

  const scrape = async (): Promise<ParsedMetrics> => {
    const res = await fetch(`http://127.0.0.1:${m.proxy.adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };
  const parent = () => ({
    parent_group: 'core',
    parent_kind: 'Service',
    parent_namespace: 'default',
    parent_name: 'echo',
    parent_port: String(m.port('echo')),
  });
  const route = (rule: string) => ({
    ...parent(),
    route_group: 'gateway.networking.k8s.io',
    route_kind: 'HTTPRoute',
    route_namespace: 'default',
    route_name: 'echo-route',
    route_rule: rule,
  });
  const backendOf = (rule: string, name: string) => ({
    ...route(rule),
    backend_group: 'core',
    backend_kind: 'Service',
    backend_namespace: 'default',
    backend_name: name,
    backend_port: String(m.port(name)),
  });

  beforeAll(async () => {
    m = await RouteMesh.start(['a', 'b', 'c'], { proxy: { balancer: roundRobin } });
    await m.apply([
      {
        matches: [
          { path: { type: 'PathPrefix', value: '/split' } },
          { path: { type: 'PathPrefix', value: '/fail-at' } },
        ],
        backendRefs: [m.to('a', 3), m.to('b', 1)],
      },
      {
        name: 'retrying',
        matches: [{ path: { type: 'PathPrefix', value: '/flaky' } }],
        backendRefs: [m.to('c')],
        retry: { codes: [503], attempts: 2, backoff: '1ms' },
      },
    ]);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('counts requests and responses per route rule and per backend of a split', async () => {
    for (let i = 0; i < 40; i++) expect((await m.send(`/split/${i}`)).status).toBe(200);
    // fails (500) on b only: one of these 4 goes to b
    for (let i = 0; i < 4; i++) expect((await m.send('/fail-at/b/x')).status).toBeGreaterThan(0);
    expect((await m.send('/nowhere')).status).toBe(404);
    const mt = await scrape();

    expect(mt.types['outbound_http_route_request_statuses_total']).toBe('counter');
    expect(mt.types['outbound_http_route_request_duration_seconds']).toBe('histogram');
    expect(mt.types['outbound_http_route_backend_response_duration_seconds']).toBe('histogram');
    expect(mt.types['outbound_http_route_retry_requests_total']).toBe('counter');

    // rule 0 served 44 requests; smooth weighted round robin 3:1 -> exact shares
    const s = 'outbound_http_route_request_statuses_total';
    expect(total(mt, s, route('0'))).toBe(44);
    const perBackend = (name: string) => total(mt, 'outbound_http_route_backend_requests_total', backendOf('0', name));
    expect(perBackend('a')).toBe(33);
    expect(perBackend('b')).toBe(11);
    expect(m.apps.a!.seen.length).toBe(perBackend('a'));
    expect(m.apps.b!.seen.length).toBe(perBackend('b'));

    // the path that fails on b only: 500 from b, 200 from a, no error label either way
    const b500 = total(mt, 'outbound_http_route_backend_response_statuses_total', {
      ...backendOf('0', 'b'),
      http_status: '500',
      error: '',
    });
    const b200 = total(mt, 'outbound_http_route_backend_response_statuses_total', {
      ...backendOf('0', 'b'),
      http_status: '200',
    });
    expect(b500).toBe(1);
    expect(b200).toBe(10);
    expect(total(mt, s, { ...route('0'), http_status: '500', error: '' })).toBe(1);
    expect(total(mt, s, { ...route('0'), http_status: '200', error: '' })).toBe(43);

    // the 404 (no route) is not a route's request
    expect(select(mt, s).reduce((n, x) => n + x.value, 0)).toBe(44);
    // the legacy families are there as before
    expect(total(mt, 'request_total', { direction: 'outbound' })).toBeGreaterThanOrEqual(44);
  });

  it('histograms are cumulative, in seconds, with Linkerd buckets, and count every response', async () => {
    const mt = await scrape();
    for (const [name, labels, bounds] of [
      ['outbound_http_route_request_duration_seconds', route('0'), ROUTE_BUCKETS_S],
      ['outbound_http_route_backend_response_duration_seconds', backendOf('0', 'a'), BACKEND_BUCKETS_S],
    ] as const) {
      const buckets = select(mt, `${name}_bucket`, labels);
      expect(buckets.map((b) => b.labels.le)).toEqual([...bounds.map(String), '+Inf']);
      const values = buckets.map((b) => b.value);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
      const count = total(mt, `${name}_count`, labels);
      expect(values.at(-1)).toBe(count);
      expect(count).toBeGreaterThan(0);
      const sum = total(mt, `${name}_sum`, labels);
      expect(sum).toBeGreaterThan(0);
      // local requests: well under a second on average
      expect(sum / count).toBeLessThan(1);
    }
    expect(total(mt, 'outbound_http_route_request_duration_seconds_count', route('0'))).toBe(44);
    expect(
      total(mt, 'outbound_http_route_backend_response_duration_seconds_count', backendOf('0', 'a')) +
        total(mt, 'outbound_http_route_backend_response_duration_seconds_count', backendOf('0', 'b')),
    ).toBe(44);
  });

  it('counts retries per route; each try per backend, the client answer once per request', async () => {
    // 2 x 503 then 200 (2 retries); then 5 x 503 with 2 retries allowed (limit exceeded, client gets 503)
    expect((await m.send('/flaky/r1?fail=2&code=503')).status).toBe(200);
    expect((await m.send('/flaky/r2?fail=5&code=503')).status).toBe(503);
    const mt = await scrape();
    const r = route('retrying');
    expect(total(mt, 'outbound_http_route_retry_requests_total', r)).toBe(4);
    expect(total(mt, 'outbound_http_route_retry_successes_total', r)).toBe(1);
    expect(total(mt, 'outbound_http_route_retry_limit_exceeded_total', r)).toBe(1);
    expect(total(mt, 'outbound_http_route_retry_overflow_total', r)).toBe(0);
    expect(total(mt, 'outbound_http_route_request_statuses_total', r)).toBe(2);
    expect(total(mt, 'outbound_http_route_request_statuses_total', { ...r, http_status: '200' })).toBe(1);
    expect(total(mt, 'outbound_http_route_request_statuses_total', { ...r, http_status: '503' })).toBe(1);
    const c = backendOf('retrying', 'c');
    expect(total(mt, 'outbound_http_route_backend_requests_total', c)).toBe(6);
    expect(total(mt, 'outbound_http_route_backend_response_statuses_total', { ...c, http_status: '503' })).toBe(5);
    expect(total(mt, 'outbound_http_route_backend_response_statuses_total', { ...c, http_status: '200' })).toBe(1);
    // a retry of rule 0 never happened
    expect(total(mt, 'outbound_http_route_retry_requests_total', route('0'))).toBe(0);
  });

  it('a backend that does not answer is an error with no status; the default route is labelled so', async () => {
    const mesh = await RouteMesh.start([], { down: ['gone'] });
    try {
      await mesh.apply([{ backendRefs: [mesh.to('gone')] }]);
      expect((await mesh.send('/x')).status).toBe(502);
      await mesh.apply(undefined);
      expect((await mesh.send('/y')).status).toBe(200);
      const res = await fetch(`http://127.0.0.1:${mesh.proxy.adminPort}/metrics`, {
        signal: AbortSignal.timeout(5000),
      });
      const mt = parsePrometheusText(await res.text());
      const gone = select(mt, 'outbound_http_route_backend_response_statuses_total', { backend_name: 'gone' });
      expect(gone).toHaveLength(1);
      expect(gone[0]!.labels).toMatchObject({ error: 'IO', route_name: 'echo-route', route_rule: '0' });
      expect(gone[0]!.labels.http_status ?? '').toBe('');
      expect(gone[0]!.value).toBe(1);
      // the route that went away is still listed (evicted after 10 minutes), next to the default route
      const def = select(mt, 'outbound_http_route_request_statuses_total', {
        route_kind: 'default',
        route_name: 'http',
        parent_name: 'echo',
        http_status: '200',
      });
      expect(def.map((s) => s.value)).toEqual([1]);
    } finally {
      await mesh.close();
    }
  });

  it('gRPC streams routed by a GRPCRoute go to the outbound_grpc_route families, by grpc_status', async () => {
    const apps = { v1: await startGrpcApp('v1'), v2: await startGrpcApp('v2') };
    const svcs = {
      api: service('api', await freePort(), 'test'),
      v1: service('v1', await freePort(), 'test'),
      v2: service('v2', await freePort(), 'test'),
    };
    const port = (n: keyof typeof svcs) => svcs[n].spec.ports[0]!.port;
    const route = grpcRouteSchema.parse({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GRPCRoute',
      metadata: { name: 'split', namespace: 'test' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'api' }],
        rules: [{ backendRefs: [backend('v1', port('v1'), 3), backend('v2', port('v2'), 1)] }],
      },
    });
    const source = new ManualConfigSource({
      services: Object.values(svcs),
      httpRoutes: [],
      grpcRoutes: [route],
      endpoints: [
        endpoints(svcs.v1, [{ port: apps.v1.port, deployment: 'v1', namespace: 'test' }]),
        endpoints(svcs.v2, [{ port: apps.v2.port, deployment: 'v2', namespace: 'test' }]),
      ],
    });
    const proxy = await startOutboundProxy({ configSource: source, namespace: 'test' });
    const c = grpcClient(port('api'));
    try {
      for (let i = 0; i < 8; i++) expect((await unary(c, 'Echo', { text: String(i) })).reply).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
      const mt = parsePrometheusText(await res.text());
      const r = { route_kind: 'GRPCRoute', route_namespace: 'test', route_name: 'split', route_rule: '0' };
      expect(total(mt, 'outbound_grpc_route_request_statuses_total', { ...r, grpc_status: '0', error: '' })).toBe(8);
      expect(total(mt, 'outbound_grpc_route_request_duration_seconds_count', r)).toBe(8);
      expect(total(mt, 'outbound_grpc_route_backend_requests_total', { ...r, backend_name: 'v1' })).toBe(6);
      expect(total(mt, 'outbound_grpc_route_backend_requests_total', { ...r, backend_name: 'v2' })).toBe(2);
      expect(select(mt, 'outbound_http_route_request_statuses_total', { parent_name: 'api' })).toEqual([]);
    } finally {
      c.close();
      await proxy.close({ drainMs: 100 });
      await apps.v1.close();
      await apps.v2.close();
    }
  });
});
