import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { ANNOTATION_ADMIN_PORT, type Canary } from '../../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../../rollouts/index.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, status, weights } from '../fixtures.js';

const INTERVAL = 30_000;

describe('the controller with fast rollback', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let runtime: ReturnType<typeof fakeRuntime>;
  let controller: CanaryController | undefined;
  /** the canary pod's sidecar counters */
  const sidecar = { success: 0, failure: 0 };

  beforeEach(async () => {
    sidecar.success = 0;
    sidecar.failure = 0;
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    runtime = fakeRuntime(store);
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
    const c = canary({ interval: '30s', threshold: 5 });
    await store.apply({ ...c, metadata: { ...c.metadata, annotations: { 'weir.io/fast-rollback': 'true' } } });
    await store.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'podinfo-a',
        namespace: NS,
        labels: { app: 'podinfo' },
        annotations: { [ANNOTATION_ADMIN_PORT]: '1' },
      },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    });
    controller = startCanaryController({
      store,
      metrics: new FakeMetrics(),
      clock,
      fastRollback: {
        pollMs: 100,
        scrape: () =>
          Promise.resolve(
            `response_total{direction="inbound",classification="success"} ${sidecar.success}\n` +
              `response_total{direction="inbound",classification="failure"} ${sidecar.failure}\n`,
          ),
      },
    });
  });

  afterEach(async () => {
    await controller?.close();
    runtime.stop();
  });

  it('rolls a failing canary back between two 30 s ticks: 100/0, Failed, FastRollback event and condition, metric', async () => {
    await clock.runDue(); // primary created
    await clock.advance(INTERVAL); // Initialized
    await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
    await clock.advance(INTERVAL); // new revision: Progressing
    await clock.advance(INTERVAL); // weight 10
    expect(weights(store)).toEqual([90, 10]);
    // half of the canary's answers fail; 300 ms later (three 100 ms scrapes), not 5 x 30 s
    sidecar.success = 15;
    sidecar.failure = 15;
    await clock.advance(300);
    expect(weights(store)).toEqual([100, 0]);
    const s = status(store)!;
    expect(s.phase).toBe('Failed');
    expect(s.failedChecks).toBe(0);
    expect(s.conditions?.find((c) => c.type === 'Analysis')).toMatchObject({
      reason: 'FastRollback',
      message: expect.stringMatching(
        /^fast rollback at weight 10: success rate 50\.00% over 30 requests \(15 failed\)/,
      ),
    });
    const events = controller!.events.recent(NS, 'podinfo');
    expect(events.find((e) => e.reason === 'FastRollback')?.message).toMatch(
      /^Rolling back podinfo\.test fast rollback: /,
    );
    expect(await controller!.metrics.registry.metrics()).toMatch(
      /weir_fast_rollbacks_total\{name="podinfo",namespace="test"\} 1/,
    );
    // the Canary in the store is the same Flagger Canary: only the annotation says fast rollback
    expect(store.get<Canary>('Canary', NS, 'podinfo')?.metadata.annotations).toEqual({
      'weir.io/fast-rollback': 'true',
    });
  });
});
