import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import {
  canarySchema,
  canaryWarnings,
  grpcRouteSchema,
  httpRouteSchema,
  type GRPCRoute,
  type HTTPRoute,
} from '../../../engine/resources/index.js';
import { GatewayRouter } from '../../../rollouts/index.js';
import { canary, NS } from '../fixtures.js';

const grpcOnly = { port: 9999, portName: 'grpc', appProtocol: 'grpc' };
const httpAndGrpc = {
  port: 9898,
  ports: [
    { name: 'http', port: 9898 },
    { name: 'grpc', port: 9999, appProtocol: 'grpc' },
  ],
};

function setup(service: Record<string, unknown>, analysis: Record<string, unknown> = {}) {
  const store = new MemoryStore();
  const cr = canarySchema.parse(canary(analysis, { service }));
  const router = new GatewayRouter(store);
  const grpc = (name: string) => {
    const route = store.get<GRPCRoute>('GRPCRoute', NS, name);
    if (route) {
      const valid = grpcRouteSchema.safeParse(route);
      expect(valid.success, JSON.stringify(valid.error?.issues)).toBe(true);
    }
    return route;
  };
  const http = (name: string) => {
    const route = store.get<HTTPRoute>('HTTPRoute', NS, name);
    if (route) expect(httpRouteSchema.safeParse(route).success).toBe(true);
    return route;
  };
  return { store, cr, router, grpc, http };
}

const backends = (rule: { backendRefs?: Array<{ name: string; port?: number; weight?: number }> } | undefined) =>
  (rule?.backendRefs ?? []).map((b) => [b.name, b.port, b.weight]);

describe('Gateway API routes of a canary: GRPCRoute for gRPC ports, a route per port', () => {
  it('a canary whose service appProtocol is grpc is split with a GRPCRoute named after the apex, on its port', async () => {
    const { cr, router, grpc, http } = setup({ ...grpcOnly, gatewayRefs: undefined });
    await router.reconcile(cr);
    const route = grpc('podinfo')!;
    expect(http('podinfo')).toBeUndefined();
    expect(route.spec.parentRefs).toEqual([{ group: 'core', kind: 'Service', name: 'podinfo', port: 9999 }]);
    expect(route.spec.rules).toHaveLength(1);
    expect(route.spec.rules![0]!.matches).toBeUndefined();
    expect(backends(route.spec.rules![0])).toEqual([
      ['podinfo-primary', 9999, 100],
      ['podinfo-canary', 9999, 0],
    ]);
    await router.setRoutes(cr, { primary: 70, canary: 30 });
    expect(backends(grpc('podinfo')!.spec.rules![0])).toEqual([
      ['podinfo-primary', 9999, 70],
      ['podinfo-canary', 9999, 30],
    ]);
    expect(router.getRoutes(cr)).toEqual({ primary: 70, canary: 30 });
  });

  it('service.ports: an HTTPRoute for the http port and a GRPCRoute for the grpc port, moved together', async () => {
    const { cr, router, grpc, http } = setup({ ...httpAndGrpc, gatewayRefs: undefined });
    await router.reconcile(cr);
    await router.setRoutes(cr, { primary: 60, canary: 40 });
    const h = http('podinfo')!;
    const g = grpc('podinfo-grpc')!;
    expect(h.spec.parentRefs).toEqual([{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }]);
    expect(g.spec.parentRefs).toEqual([{ group: 'core', kind: 'Service', name: 'podinfo', port: 9999 }]);
    expect(backends(h.spec.rules[0])).toEqual([
      ['podinfo-primary', 9898, 60],
      ['podinfo-canary', 9898, 40],
    ]);
    expect(backends(g.spec.rules![0])).toEqual([
      ['podinfo-primary', 9999, 60],
      ['podinfo-canary', 9999, 40],
    ]);
    expect(router.getRoutes(cr)).toEqual({ primary: 60, canary: 40 });
    await router.finalize(cr);
    expect(http('podinfo')).toBeUndefined();
    expect(grpc('podinfo-grpc')).toBeUndefined();
  });

  it('A/B on gRPC: the analysis header match goes to the canary, everyone else to the primary', async () => {
    const { cr, router, grpc } = setup(grpcOnly, {
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: 5,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    });
    await router.setRoutes(cr, { primary: 0, canary: 100 });
    const rules = grpc('podinfo')!.spec.rules!;
    expect(rules).toHaveLength(2);
    expect(rules[0]!.matches).toEqual([{ headers: [{ type: 'Exact', name: 'x-canary', value: 'insider' }] }]);
    expect(backends(rules[0])).toEqual([
      ['podinfo-primary', 9999, 0],
      ['podinfo-canary', 9999, 100],
    ]);
    expect(backends(rules[1])).toEqual([['podinfo-primary', 9999, 100]]);
    expect(router.getRoutes(cr)).toEqual({ primary: 0, canary: 100 });
  });

  it('a gRPC service URI in service.match becomes a GRPCRoute method match', async () => {
    const { cr, router, grpc } = setup({
      ...grpcOnly,
      match: [{ uri: { prefix: '/weir.sample.Greeter/' } }, { uri: { exact: '/weir.sample.Greeter/Hello' } }],
    });
    await router.reconcile(cr);
    expect(grpc('podinfo')!.spec.rules![0]!.matches).toEqual([
      { method: { type: 'Exact', service: 'weir.sample.Greeter' } },
      { method: { type: 'Exact', service: 'weir.sample.Greeter', method: 'Hello' } },
    ]);
  });

  it('mirroring copies calls to the canary with a RequestMirror, and the weights read it back', async () => {
    const { cr, router, grpc } = setup(grpcOnly, { mirror: true, mirrorWeight: 50 });
    await router.setRoutes(cr, { primary: 100, canary: 0, mirrored: true });
    const rule = grpc('podinfo')!.spec.rules![0]!;
    expect(rule.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 9999 },
          percent: 50,
        },
      },
    ]);
    expect(router.getRoutes(cr)).toEqual({ primary: 100, canary: 0, mirrored: true });
  });

  it('header filters reach the GRPCRoute; rewrite, CORS, timeouts and cookies are named as not applied', async () => {
    const service = {
      ...grpcOnly,
      timeout: '5s',
      headers: { request: { set: { 'x-env': 'prod' } } },
      rewrite: { uri: '/v2' },
    };
    const { cr, router, grpc } = setup(service, { sessionAffinity: { cookieName: 'c' } });
    await router.reconcile(cr);
    expect(grpc('podinfo')!.spec.rules![0]!.filters).toEqual([
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-env', value: 'prod' }] } },
    ]);
    const paths = canaryWarnings(cr).map((w) => w.path);
    expect(paths).toEqual(
      expect.arrayContaining(['spec.service.timeout', 'spec.service.rewrite', 'spec.analysis.sessionAffinity']),
    );
  });

  it('an HTTP-only canary has no gRPC warnings and keeps its single HTTPRoute', async () => {
    const { cr, router, http, grpc } = setup({ port: 9898, timeout: '5s' });
    await router.reconcile(cr);
    expect(http('podinfo')).toBeDefined();
    expect(grpc('podinfo')).toBeUndefined();
    expect(canaryWarnings(cr).some((w) => w.path === 'spec.service.timeout')).toBe(false);
  });
});

describe('Canary service.ports validation', () => {
  const parse = (service: Record<string, unknown>) => canarySchema.safeParse(canary({}, { service }));
  const issues = (service: Record<string, unknown>) =>
    (parse(service).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('service.port must be one of the listed ports', () => {
    expect(issues({ port: 8080, ports: [{ name: 'http', port: 9898 }] })).toEqual([
      expect.stringMatching(/^spec\.service\.port: must be one of ports\[\]\.port \(9898\)/),
    ]);
  });

  it('names and numbers are unique, names are DNS labels', () => {
    const out = issues({
      port: 9898,
      ports: [
        { name: 'http', port: 9898 },
        { name: 'http', port: 9898 },
        { name: 'Bad_Name', port: 1 },
      ],
    });
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.service\.ports\.1\.name: duplicate port name "http"/),
        expect.stringMatching(/^spec\.service\.ports\.1\.port: duplicate port 9898/),
        expect.stringMatching(/^spec\.service\.ports\.2\.name: expected a DNS label/),
      ]),
    );
  });
});
