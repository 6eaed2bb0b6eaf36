import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { ROUTE_ANNOTATION } from '../../../engine/mirror-diff/index.js';
import { canarySchema, type HTTPRoute } from '../../../engine/resources/index.js';
import { compileRoutingTables } from '../../../engine/routing/index.js';
import { GatewayRouter } from '../../../rollouts/index.js';
import { canary, NS } from '../fixtures.js';

function withAnnotations(annotations: Record<string, string>) {
  const c = canary({ stepWeight: undefined, maxWeight: undefined, iterations: 5, mirror: true });
  return { ...c, metadata: { ...c.metadata, annotations } };
}

describe("a Canary's weir.io/mirror-diff annotations", () => {
  it('are rejected at the edge naming the annotation', () => {
    const r = canarySchema.safeParse(
      withAnnotations({ 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-ignore': 'timestamp' }),
    );
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['metadata', 'annotations', 'weir.io/mirror-diff-ignore']);
    expect(r.error!.issues[0]!.message).toContain('a JSON path starts with "$"');
  });

  it('reach the mirrored HTTPRoute as weir.io/mirror-diff-config, which the route compiler gives its mirror', async () => {
    const store = new MemoryStore();
    const cr = canarySchema.parse(
      withAnnotations({ 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-ignore': '$.timestamp' }),
    );
    const router = new GatewayRouter(store);
    await router.setRoutes(cr, { primary: 100, canary: 0, mirrored: true });
    const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
    expect(JSON.parse(route.metadata.annotations![ROUTE_ANNOTATION]!)).toEqual({
      ignore: ['$.timestamp'],
      headers: ['content-type'],
      maxBodyBytes: 65536,
      noiseSample: 0.2,
    });
    const svc = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { ports: [{ port: 9898 }] },
    });
    const tables = compileRoutingTables({
      services: ['podinfo', 'podinfo-primary', 'podinfo-canary'].map(svc) as never,
      httpRoutes: [route],
    });
    const rules = tables.find((t) => t.parent.service === 'podinfo')!.describe().rules as Array<{
      filters?: Array<{ type: string; diff?: unknown }>;
    }>;
    const mirror = rules.flatMap((r) => r.filters ?? []).find((f) => f.type === 'RequestMirror');
    expect(mirror?.diff).toMatchObject({ ignore: ['$.timestamp'] });

    // turned off: the annotation goes from the route
    const off = canarySchema.parse(withAnnotations({ 'weir.io/mirror-diff': 'false' }));
    await router.setRoutes(off, { primary: 100, canary: 0, mirrored: true });
    expect(store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!.metadata.annotations?.[ROUTE_ANNOTATION]).toBeUndefined();
  });
});
