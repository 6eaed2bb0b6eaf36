import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Canary, HTTPRoute, KubeObject } from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { canary, deployment, fakeRuntime, NS } from './fixtures.js';
import type { MetricQuery, MetricsProvider } from '../../rollouts/metrics/provider.js';

const INTERVAL = 10_000;

/** success rate per canary name (default 100) */
class PerCanaryMetrics implements MetricsProvider {
  readonly name = 'mesh';
  successRate: Record<string, number> = {};
  async query(q: MetricQuery): Promise<number | undefined> {
    if (q.metric.name === 'request-duration') return 25;
    return this.successRate[q.canary.metadata.name] ?? 100;
  }
}

function member(name: string): KubeObject {
  const c = canary(
    {},
    {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898, gatewayRefs: [{ group: 'core', kind: 'Service', name, port: 9898 }] },
    },
  );
  return { ...c, metadata: { name, namespace: NS, labels: { 'weir.io/release': 'shop' } } };
}

describe('canary controller: a release ticked as one (fake clock)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let metrics: PerCanaryMetrics;
  let runtime: ReturnType<typeof fakeRuntime>;
  let controller: CanaryController | undefined;
  const tick = () => clock.advance(INTERVAL);
  const phaseWeight = (name: string) => {
    const s = store.get<Canary>('Canary', NS, name)?.status;
    return `${name} ${s?.phase} ${s?.canaryWeight ?? 0}`;
  };
  const lane = (name: string) =>
    store
      .get<HTTPRoute>('HTTPRoute', NS, name)
      ?.spec.rules.find((r) => r.matches?.some((m) => m.headers?.some((h) => h.name === 'weir-lane')));

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    metrics = new PerCanaryMetrics();
    runtime = fakeRuntime(store);
    for (const name of ['frontend', 'backend']) {
      await store.apply(deployment(name, `${name}:1`));
      await store.apply(member(name));
    }
    controller = startCanaryController({ store, metrics, clock });
    await clock.runDue();
    await tick();
    for (const name of ['frontend', 'backend']) await store.apply(deployment(name, `${name}:2`, 0));
  });

  afterEach(async () => {
    await controller?.close();
    runtime.stop();
  });

  it('one job for the release; equal weights at every tick; the lane rule while running; joint promotion', async () => {
    expect(controller!.jobs()).toEqual(['release test/shop']);
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await tick();
      const [b, f] = [phaseWeight('backend'), phaseWeight('frontend')];
      expect(b.replace('backend', '')).toBe(f.replace('frontend', ''));
      seen.push(f);
      if (f.includes('Progressing 20')) {
        expect(lane('backend')).toMatchObject({
          matches: [{ headers: [{ type: 'Exact', name: 'weir-lane', value: 'test/shop' }] }],
          backendRefs: [{ name: 'backend-canary', weight: 100 }],
        });
        // the lane rule first, the weighted rule (read back for the weights) after it
        expect(store.get<HTTPRoute>('HTTPRoute', NS, 'backend')!.spec.rules).toHaveLength(2);
      }
    }
    expect(seen).toContain('frontend Progressing 50');
    expect(seen[seen.length - 1]).toBe('frontend Succeeded 0');
    await tick(); // the tick after the one that scaled the canaries down
    expect(lane('frontend')).toBeUndefined();
    expect(lane('backend')).toBeUndefined();
  });

  it("the backend's failing success rate rolls both back; the frontend's status names the release and why", async () => {
    await tick(); // Progressing 0
    await tick(); // 10
    metrics.successRate.backend = 40;
    await tick(); // failed check 1 (frontend holds)
    expect([phaseWeight('frontend'), phaseWeight('backend')]).toEqual([
      'frontend Progressing 10',
      'backend Progressing 10',
    ]);
    await tick(); // failed check 2
    await tick(); // threshold: rollback
    expect([phaseWeight('frontend'), phaseWeight('backend')]).toEqual(['frontend Failed 0', 'backend Failed 0']);
    const cond = store.get<Canary>('Canary', NS, 'frontend')!.status!.conditions!.find((c) => c.type === 'Analysis');
    expect(cond).toMatchObject({
      reason: 'ReleaseFailed',
      message:
        'release shop: backend failed: metric request-success-rate: value 40 below the minimum 99 (failed checks 2/2)',
    });
    expect(controller!.events.messages(NS, 'frontend')).toContain(cond!.message);
    // the rollback tick keeps the lane rules (a request already on the frontend's canary stays on the backend's);
    // the next tick removes them
    expect(lane('backend')).toMatchObject({ backendRefs: [{ name: 'backend-canary', weight: 100 }] });
    await tick();
    expect(lane('frontend')).toBeUndefined();
    expect(lane('backend')).toBeUndefined();
  });
});
