import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema, httpRouteSchema, type HTTPRoute } from '../../engine/resources/index.js';
import { GatewayHTTPRouteRouter } from '../../rollouts/index.js';
import { canary, NS } from './fixtures.js';

describe('service.timeout and backendTimeout (Go durations) on the HTTPRoute (GEP-2257)', () => {
  it.each([
    ['30s', '30s'],
    ['1500ms', '1500ms'],
    ['1h30m', '5400s'],
    ['1.5s', '1500ms'],
    ['500us', '1ms'],
    ['30h', '30h'],
    ['27h46m40.5s', '27h46m40s500ms'],
  ])('%s becomes %s', async (goValue, gateway) => {
    const store = new MemoryStore();
    const cr = canarySchema.parse(
      canary({}, { service: { port: 9898, timeout: goValue, backendTimeout: goValue, gatewayRefs: [{ name: 'gw' }] } }),
    );
    await new GatewayHTTPRouteRouter(store).reconcile(cr);
    const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
    expect(route.spec.rules[0]?.timeouts).toEqual({ request: gateway, backendRequest: gateway });
    // and the route is a valid HTTPRoute
    expect(httpRouteSchema.safeParse(route).success).toBe(true);
  });
});
