import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import type { FastRollbackObservation } from '../../../engine/canary/index.js';
import { ANNOTATION_ADMIN_PORT, canarySchema, type Canary } from '../../../engine/resources/index.js';
import { ManualClock } from '../../../rollouts/clock.js';
import { FastRollbackWatcher } from '../../../rollouts/fast-rollback/watcher.js';
import { canary as canaryManifest, deployment, NS } from '../fixtures.js';

/** counters by admin port, as each pod's sidecar would expose them */
const counters = new Map<string, { success: number; failure: number }>();

function text(port: string): string {
  const c = counters.get(port) ?? { success: 0, failure: 0 };
  const l = 'direction="inbound",namespace="test"';
  return [
    `response_total{${l},classification="success",status_code="200"} ${c.success}`,
    `response_total{${l},classification="failure",status_code="500"} ${c.failure}`,
    `response_total{direction="outbound",classification="failure",status_code="502"} 9999`,
    '',
  ].join('\n');
}

const pod = (name: string, app: string, port: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, uid: name, labels: { app }, annotations: { [ANNOTATION_ADMIN_PORT]: port } },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running' },
});

describe('the fast-rollback watcher', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let breaches: FastRollbackObservation[];
  let watcher: FastRollbackWatcher;
  let base: Canary;

  const running = (revision = 'rev2', annotations: Record<string, string> = { 'weir.io/fast-rollback': 'true' }) =>
    ({
      ...base,
      metadata: { ...base.metadata, annotations },
      status: { phase: 'Progressing', canaryWeight: 10, failedChecks: 0, iterations: 0, lastAppliedSpec: revision },
    }) as Canary;

  beforeEach(async () => {
    counters.clear();
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    await store.apply(deployment('podinfo', 'podinfo:6.0.1', 1));
    await store.apply(deployment('podinfo-primary', 'podinfo:6.0.0', 1));
    await store.apply(pod('podinfo-a', 'podinfo', '1'));
    await store.apply(pod('podinfo-primary-a', 'podinfo-primary', '2'));
    base = canarySchema.parse(canaryManifest());
    breaches = [];
    watcher = new FastRollbackWatcher({
      store,
      clock,
      pollMs: 100,
      scrape: (url) => Promise.resolve(text(/:(\d+)\//.exec(url)![1]!)),
      onBreach: (_c, b) => {
        breaches.push(b);
      },
    });
  });

  afterEach(() => watcher.close());

  it("counts only the canary pods' answers since the run started, and reports one breach per run", async () => {
    // failures before the run (a previous run of the same pod) and the primary's failures do not count
    counters.set('1', { success: 0, failure: 500 });
    counters.set('2', { success: 0, failure: 500 });
    watcher.track(running(), true);
    await clock.advance(100);
    counters.set('1', { success: 100, failure: 500 });
    counters.set('2', { success: 0, failure: 1000 });
    await clock.advance(1_000);
    expect(breaches).toEqual([]);
    // now the canary fails: 10 of 30 new answers
    counters.set('1', { success: 120, failure: 510 });
    await clock.advance(200);
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({ revision: 'rev2', total: 130, failures: 10, thresholdPercent: 99 });
    expect(breaches[0]!.reason).toMatch(/^success rate 92\.31% over 130 requests \(10 failed\): Clopper-Pearson/);
    counters.set('1', { success: 120, failure: 900 });
    await clock.advance(1_000);
    expect(breaches).toHaveLength(1);
    expect(watcher.watching()).toEqual([]);
  });

  it('counts a pod that appears during the run from zero', async () => {
    watcher.track(running(), true);
    await clock.advance(100);
    counters.set('3', { success: 10, failure: 30 });
    await store.apply(pod('podinfo-b', 'podinfo', '3'));
    await clock.advance(200);
    expect(breaches.map((b) => [b.total, b.failures])).toEqual([[40, 30]]);
  });

  it('watches nothing without the annotation, outside Progressing/WaitingPromotion, or once told to stop', async () => {
    watcher.track(running('rev2', {}), true);
    expect(watcher.watching()).toEqual([]);
    watcher.track({ ...running(), status: { ...running().status!, phase: 'Succeeded' } } as Canary, true);
    expect(watcher.watching()).toEqual([]);
    watcher.track(running(), true);
    expect(watcher.watching()).toEqual(['test/podinfo']);
    watcher.track(running(), false);
    expect(watcher.watching()).toEqual([]);
    counters.set('1', { success: 0, failure: 100 });
    await clock.advance(1_000);
    expect(breaches).toEqual([]);
  });

  it('starts a new count for a new revision', async () => {
    watcher.track(running('rev2'), true);
    await clock.advance(100);
    counters.set('1', { success: 0, failure: 10 });
    await clock.advance(100);
    // below min-requests: no decision yet; then the revision changes and its count starts again
    watcher.track(running('rev3'), true);
    await clock.advance(100);
    counters.set('1', { success: 5, failure: 20 });
    await clock.advance(200);
    expect(breaches).toEqual([]);
    counters.set('1', { success: 5, failure: 40 });
    await clock.advance(200);
    expect(breaches.map((b) => [b.revision, b.total, b.failures])).toEqual([['rev3', 35, 30]]);
  });
});
