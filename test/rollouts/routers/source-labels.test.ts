import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { canarySchema, canaryWarnings, httpRouteSchema, type HTTPRoute } from '../../../engine/resources/index.js';
import { SOURCE_LABELS_ANNOTATION } from '../../../engine/routing/index.js';
import { GatewayRouter } from '../../../rollouts/index.js';
import { canary, NS } from '../fixtures.js';

const ab = (match: unknown[]) => ({ stepWeight: undefined, maxWeight: undefined, iterations: 5, match });

async function routeOf(
  match: unknown[],
): Promise<{ route: HTTPRoute; router: GatewayRouter; cr: ReturnType<typeof canarySchema.parse> }> {
  const store = new MemoryStore();
  const cr = canarySchema.parse(canary(ab(match), { service: { port: 9898 } }));
  const router = new GatewayRouter(store);
  await router.setRoutes(cr, { primary: 0, canary: 100 });
  const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
  expect(httpRouteSchema.safeParse(route).success).toBe(true);
  return { route, router, cr };
}

describe('A/B analysis.match[].sourceLabels on the generated HTTPRoute', () => {
  it('one named weighted rule per match, the scoped ones listed in weir.io/source-labels', async () => {
    const { route, router, cr } = await routeOf([
      { sourceLabels: { app: 'frontend' } },
      { headers: { 'x-canary': { exact: 'insider' } } },
    ]);
    expect(route.spec.rules.map((r) => r.name)).toEqual(['ab-match-0', 'ab-match-1', undefined]);
    expect(JSON.parse(route.metadata.annotations![SOURCE_LABELS_ANNOTATION]!)).toEqual({
      'ab-match-0': { app: 'frontend' },
    });
    expect(route.spec.rules[0]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(route.spec.rules[1]!.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-canary', value: 'insider' }] },
    ]);
    expect(route.spec.rules[2]!.backendRefs!.map((b) => [b.name, b.weight])).toEqual([['podinfo-primary', 100]]);
    expect(router.getRoutes(cr)).toEqual({ primary: 0, canary: 100 });
    // accepted without the old "not matched" warning
    expect(canaryWarnings(cr).filter((w) => w.path.includes('sourceLabels'))).toEqual([]);
  });

  it('without sourceLabels the route is as Flagger writes it, with no annotation', async () => {
    const { route } = await routeOf([{ headers: { 'x-canary': { exact: 'insider' } } }]);
    expect(route.spec.rules.map((r) => r.name)).toEqual([undefined, undefined]);
    expect(route.metadata.annotations?.[SOURCE_LABELS_ANNOTATION]).toBeUndefined();
  });
});
