import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import type { FastRollbackObservation } from '../../../engine/canary/index.js';
import { ANNOTATION_ADMIN_PORT, canarySchema, type Canary } from '../../../engine/resources/index.js';
import { ManualClock } from '../../../rollouts/clock.js';
import { FastRollbackWatcher } from '../../../rollouts/fast-rollback/watcher.js';
import { seeded } from '../../support/seeded.js';
import { canary as canaryManifest, deployment, NS } from '../fixtures.js';

/**
 * A canary pod's sidecar as the watcher sees it: answers at `rps` with each answer failing with probability
 * `failureRate` (drawn from the seeded generator), its counters brought up to the clock at every scrape.
 */
class NoisySidecar {
  success = 0;
  failure = 0;
  firstFailureAt: number | undefined;
  private servedUntil: number;

  constructor(
    private readonly clock: ManualClock,
    private readonly rng: () => number,
    private readonly failureRate: number,
    private readonly rps = 100,
  ) {
    this.servedUntil = clock.now().getTime();
  }

  private catchUp(): void {
    const now = this.clock.now().getTime();
    const step = 1000 / this.rps;
    while (this.servedUntil + step <= now) {
      this.servedUntil += step;
      if (this.rng() < this.failureRate) {
        this.failure++;
        this.firstFailureAt ??= this.servedUntil;
      } else this.success++;
    }
  }

  text(): string {
    this.catchUp();
    const l = 'direction="inbound",namespace="test",deployment="podinfo",pod="podinfo-a"';
    return [
      '# TYPE response_total counter',
      `response_total{${l},classification="success",status_code="200"} ${this.success}`,
      `response_total{${l},classification="failure",status_code="500"} ${this.failure}`,
      '',
    ].join('\n');
  }
}

const RUNS = 300;
/** each run watches the canary for this long (fake time, one 30 s analysis interval): 300 looks at the 100 ms poll */
const RUN_MS = 30_000;
const THRESHOLD = 99;

interface Tally {
  rollbacks: number;
  /** fake ms from the first failed answer to the breach, per rolled-back run */
  reactions: number[];
  looks: number;
}

describe('fast rollback under noise (seeded, fake clock, the watcher and judgeFastRollback as in production)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let sidecar: NoisySidecar | undefined;
  let breaches: FastRollbackObservation[];
  let watcher: FastRollbackWatcher;
  let base: Canary;

  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    await store.apply(deployment('podinfo', 'podinfo:6.0.1', 1));
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
    const manifest = canaryManifest({ interval: '30s', threshold: 5 });
    base = canarySchema.parse({
      ...manifest,
      metadata: { ...manifest.metadata, annotations: { 'weir.io/fast-rollback': 'true' } },
    });
    breaches = [];
    watcher = new FastRollbackWatcher({
      store,
      clock,
      pollMs: 100,
      scrape: () => Promise.resolve(sidecar!.text()),
      onBreach: (_c, b) => {
        breaches.push(b);
      },
    });
  });

  afterAll(() => watcher.close());

  /** `RUNS` runs of a canary failing `failureRate` of its answers; each run a new revision on a fresh sidecar */
  async function runs(seed: number, failureRate: number): Promise<Tally> {
    const rng = seeded(seed);
    const tally: Tally = { rollbacks: 0, reactions: [], looks: 0 };
    for (let i = 0; i < RUNS; i++) {
      sidecar = new NoisySidecar(clock, rng, failureRate);
      breaches = [];
      const running: Canary = {
        ...base,
        status: {
          phase: 'Progressing',
          canaryWeight: 50,
          failedChecks: 0,
          iterations: 0,
          lastAppliedSpec: `rev-${seed}-${i}`,
        },
      } as Canary;
      watcher.track(running, true);
      await clock.advance(RUN_MS);
      watcher.track({ ...running, status: { ...running.status!, phase: 'Succeeded' } } as Canary, false);
      tally.looks += RUN_MS / 100;
      if (breaches.length > 0) {
        tally.rollbacks++;
        tally.reactions.push(Date.parse(breaches[0]!.at) - sidecar.firstFailureAt!);
      }
      expect(breaches.length).toBeLessThanOrEqual(1);
    }
    return tally;
  }

  it(`a healthy canary (true success rate 99.5 %, threshold ${THRESHOLD} %, 100 req/s) is never rolled back in ${RUNS} runs`, async () => {
    const t = await runs(1, 0.005);
    console.log(
      `fast rollback noise: ${t.rollbacks} false rollbacks in ${RUNS} runs of ${RUN_MS / 1000} s (${t.looks} looks), true success 99.5 % vs threshold ${THRESHOLD} %`,
    );
    expect(t.rollbacks).toBe(0);
  }, 120_000);

  it(`a canary exactly at the threshold (99 %) stays within the stated bound (≤ 1 - confidence per run)`, async () => {
    const t = await runs(2, 0.01);
    // 1 - confidence = 0.001 per run: 0.3 expected at most in 300 runs; P(4 or more) < 4e-4
    console.log(`fast rollback at the threshold: ${t.rollbacks} rollbacks in ${RUNS} runs (bound: 0.001 per run)`);
    expect(t.rollbacks).toBeLessThanOrEqual(3);
  }, 120_000);

  it('a bad canary (50 % errors at 100 req/s) is rolled back in every run, within a second of its first error', async () => {
    const t = await runs(3, 0.5);
    const sorted = [...t.reactions].sort((a, b) => a - b);
    console.log(
      `fast rollback of a 50 % failing canary: ${t.rollbacks}/${RUNS} rolled back; watcher reaction (fake ms, first error to breach): median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted[sorted.length - 1]}`,
    );
    expect(t.rollbacks).toBe(RUNS);
    expect(Math.max(...t.reactions)).toBeLessThan(1000);
  }, 120_000);
});
