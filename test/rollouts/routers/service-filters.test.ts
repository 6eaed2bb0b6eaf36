import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { canarySchema, httpRouteSchema, type HTTPRoute } from '../../../engine/resources/index.js';
import type { RouteWeights } from '../../../engine/canary/index.js';
import { GatewayHTTPRouteRouter } from '../../../rollouts/index.js';
import { canary, NS } from '../fixtures.js';

const service = {
  port: 9898,
  headers: {
    request: { add: { 'x-b': '2', 'x-a': '1' }, set: { 'x-env': 'prod' }, remove: ['x-debug'] },
    response: { set: { 'x-served-by': 'weir' } },
  },
  rewrite: { uri: '/v2', type: 'ReplacePrefixMatch' },
  mirror: [{ backendRef: { name: 'shadow', port: 9898 } }],
  corsPolicy: {
    allowOrigin: ['https://example.com'],
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['x-token'],
    exposeHeaders: ['x-request-id'],
    allowCredentials: true,
    maxAge: '24h',
  },
};

async function routeOf(
  analysis: Record<string, unknown>,
  svc: Record<string, unknown>,
  weights: RouteWeights = { primary: 100, canary: 0 },
) {
  const store = new MemoryStore();
  const cr = canarySchema.parse(canary(analysis, { service: svc }));
  const router = new GatewayHTTPRouteRouter(store);
  await router.setRoutes(cr, weights, { canary: 'flagger-cookie=abc', previous: 'flagger-cookie=old' });
  const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
  // every route written is a valid HTTPRoute (one modifier of each kind per filter list)
  const valid = httpRouteSchema.safeParse(route);
  expect(valid.success, JSON.stringify(valid.error?.issues)).toBe(true);
  return route;
}

const expectedFilters = [
  {
    type: 'RequestHeaderModifier',
    requestHeaderModifier: {
      add: [
        { name: 'x-a', value: '1' },
        { name: 'x-b', value: '2' },
      ],
      set: [{ name: 'x-env', value: 'prod' }],
      remove: ['x-debug'],
    },
  },
  { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-served-by', value: 'weir' }] } },
  { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } },
  { type: 'RequestMirror', requestMirror: { backendRef: expect.objectContaining({ name: 'shadow', port: 9898 }) } },
  {
    type: 'CORS',
    cors: {
      allowOrigins: ['https://example.com'],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['x-token'],
      exposeHeaders: ['x-request-id'],
      allowCredentials: true,
      maxAge: 86400,
    },
  },
];

describe("service.headers, rewrite, mirror and corsPolicy on the generated HTTPRoute (Flagger's makeFilters)", () => {
  it('become the weighted rule’s filters, in Flagger’s order, header entries sorted', async () => {
    const route = await routeOf({}, service);
    expect(route.spec.rules).toHaveLength(1);
    expect(route.spec.rules[0]!.filters).toEqual(expectedFilters);
  });

  it('rewrite without ReplacePrefixMatch replaces the full path; authority becomes the hostname', async () => {
    const route = await routeOf({}, { port: 9898, rewrite: { uri: '/new', authority: 'api.example.com' } });
    expect(route.spec.rules[0]!.filters).toEqual([
      {
        type: 'URLRewrite',
        urlRewrite: { hostname: 'api.example.com', path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } },
      },
    ]);
  });

  it('A/B: the primary-only rule carries them too', async () => {
    const route = await routeOf(
      {
        iterations: 5,
        stepWeight: undefined,
        maxWeight: undefined,
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      },
      service,
    );
    expect(route.spec.rules).toHaveLength(2);
    for (const r of route.spec.rules) expect(r.filters).toEqual(expectedFilters);
  });

  it('blue/green mirroring: the mirror to the canary comes after the service filters', async () => {
    const route = await routeOf({ iterations: 5, stepWeight: undefined, maxWeight: undefined, mirror: true }, service, {
      primary: 100,
      canary: 0,
      mirrored: true,
    });
    const filters = route.spec.rules[0]!.filters!;
    expect(filters.slice(0, expectedFilters.length)).toEqual(expectedFilters);
    expect(filters[expectedFilters.length]).toMatchObject({
      type: 'RequestMirror',
      requestMirror: { backendRef: { name: 'podinfo-canary' } },
    });
  });

  it('session affinity: the expiring cookie joins the service’s ResponseHeaderModifier, never a second one', async () => {
    const route = await routeOf({ sessionAffinity: { cookieName: 'flagger-cookie' } }, service);
    const expiring = route.spec.rules[0]!;
    const modifiers = expiring.filters!.filter((f) => f.type === 'ResponseHeaderModifier');
    expect(modifiers).toHaveLength(1);
    expect(modifiers[0]!.responseHeaderModifier).toEqual({
      set: [{ name: 'x-served-by', value: 'weir' }],
      add: [{ name: 'Set-Cookie', value: expect.stringMatching(/^flagger-cookie=old; Max-Age=-1/) }],
    });
  });

  it('a service without them gets no filters', async () => {
    const route = await routeOf({}, { port: 9898 });
    expect(route.spec.rules[0]!.filters).toBeUndefined();
  });
});
