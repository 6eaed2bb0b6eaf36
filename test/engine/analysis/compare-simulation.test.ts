import { describe, expect, it } from 'vitest';
import {
  COMPARE_DEFAULTS,
  COMPARE_ERRORS,
  COMPARE_LATENCY,
  lookErrors,
  lookLatency,
  slowerProbability,
  type CompareSettings,
} from '../../../engine/analysis/index.js';
import { emptyGolden, type GoldenSnapshot } from '../../../engine/analysis/golden.js';
import { initialSequentialState, type Verdict } from '../../../engine/analysis/sequential.js';
import { LATENCY_BUCKETS_MS } from '../../../proxy/metrics.js';
import { seeded } from '../../support/seeded.js';

/**
 * The sequential comparisons against simulated sidecars: each run feeds the test a look after every batch of
 * responses (as the mesh provider does every poll) and stops at the first decision, or at the end of the run.
 */

const LE = [...LATENCY_BUCKETS_MS.map(String), '+Inf'];

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** a latency in ms: median `medianMs`, log-normal spread */
function latency(rand: () => number, medianMs: number): number {
  return medianMs * Math.exp(0.5 * normal(rand));
}

/** per-bucket counts of one side; turned into a sidecar's cumulative counters at each look */
class Counts {
  readonly buckets = new Float64Array(LE.length);
  success = 0;
  failure = 0;

  record(ms: number, failed: boolean): void {
    if (failed) this.failure++;
    else this.success++;
    let i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
    if (i === -1) i = LE.length - 1;
    this.buckets[i]!++;
  }

  total(): number {
    return this.success + this.failure;
  }

  golden(): GoldenSnapshot {
    const g = emptyGolden();
    g.responses = { success: this.success, failure: this.failure };
    let cum = 0;
    LE.forEach((le, i) => {
      cum += this.buckets[i]!;
      g.latencyBuckets[le] = cum;
    });
    return g;
  }
}

interface Side {
  medianMs: number;
  errorRate: number;
}

interface RunResult {
  verdict: Verdict;
  /** whether a fixed-sample one-sided z test at alpha 0.05 (z > 1.645) said "worse" at any look */
  naiveWorse: boolean;
  /** the always-valid p-value of "not worse" at the end: its minimum over every look */
  pWorse: number;
  /** canary responses seen when the decision was taken (or at the end) */
  canaryN: number;
}

/**
 * One run: `looks` looks, `perLook` responses between looks split between the sides by `canaryShare`.
 */
function run(
  seed: number,
  metric: string,
  canary: Side,
  primary: Side,
  settings: CompareSettings,
  opts: { looks: number; perLook: number; canaryShare: number; allLooks?: boolean },
): RunResult {
  const rand = seeded(seed);
  const c = new Counts();
  const p = new Counts();
  let state = initialSequentialState();
  let canaryN = 0;
  let naiveWorse = false;
  for (let i = 0; i < opts.looks; i++) {
    for (let j = 0; j < opts.perLook; j++) {
      const toCanary = rand() < opts.canaryShare;
      const side = toCanary ? canary : primary;
      if (toCanary) canaryN++;
      (toCanary ? c : p).record(latency(rand, side.medianMs), rand() < side.errorRate);
    }
    const cg = c.golden();
    const pg = p.golden();
    const look = (metric === COMPARE_ERRORS ? lookErrors : lookLatency)(state, cg, pg, settings);
    state = look.state;
    if (metric === COMPARE_LATENCY && !naiveWorse) {
      const est = slowerProbability([...c.buckets], [...p.buckets]);
      if (est && c.total() >= settings.min && p.total() >= settings.min)
        naiveWorse = est.theta / Math.sqrt(est.variance) > 1.645;
    }
    if (look.verdict !== 'undecided' && !opts.allLooks)
      return { verdict: look.verdict, canaryN, naiveWorse, pWorse: state.pWorse };
  }
  return { verdict: state.verdict, canaryN, naiveWorse, pWorse: state.pWorse };
}

function tally(results: RunResult[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { worse: 0, 'not-worse': 0, undecided: 0 };
  for (const r of results) out[r.verdict]++;
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const RUNS = 300;
/** generous: the machine may be shared (about 10 s alone on a quiet one) */
const SIMULATION_TIMEOUT_MS = 120_000;
const seeds = Array.from({ length: RUNS }, (_, i) => 1000 + i);

describe('the latency comparison (AUC from histograms, always-valid)', () => {
  const settings = COMPARE_DEFAULTS[COMPARE_LATENCY]!;
  // 100 looks of 40 responses: a decision is looked for 100 times per run
  const opts = { looks: 100, perLook: 40, canaryShare: 0.3 };

  it(
    'fails an equal canary in at most alpha of 300 runs, however often it is looked at',
    () => {
      const same: Side = { medianMs: 20, errorRate: 0 };
      const results = seeds.map((s) => run(s, COMPARE_LATENCY, same, same, settings, { ...opts, allLooks: true }));
      const t = tally(results);
      const naive = results.filter((r) => r.naiveWorse).length;
      // whether "worse" would have been said at any of the 100 looks, had the test not stopped at its first decision
      const everWorse = results.filter((r) => r.pWorse <= settings.alpha).length;
      console.log(
        `latency, equal distributions, ${RUNS} runs x ${opts.looks} looks: ${JSON.stringify(t)}; ` +
          `p <= alpha at some look: ${everWorse}; a fixed-sample z test looked at as often: ${naive} false "worse"`,
      );
      expect(t.worse / RUNS).toBeLessThanOrEqual(settings.alpha);
      expect(everWorse / RUNS).toBeLessThanOrEqual(settings.alpha);
      // the same data judged by a test that is only valid for one look fails far more than alpha of them
      expect(naive / RUNS).toBeGreaterThan(2 * settings.alpha);
      // and the test does decide: almost every equal canary is passed within the run
      expect(t['not-worse'] / RUNS).toBeGreaterThan(0.9);
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    'fails a canary twice as slow in every run, soon after the minimum sample',
    () => {
      const primary: Side = { medianMs: 20, errorRate: 0 };
      const slow: Side = { medianMs: 40, errorRate: 0 };
      const results = seeds.map((s) => run(s, COMPARE_LATENCY, slow, primary, settings, opts));
      const t = tally(results);
      const n = median(results.map((r) => r.canaryN));
      console.log(`latency, canary 2x slower, ${RUNS} runs: ${JSON.stringify(t)}, median canary responses ${n}`);
      expect(t.worse).toBe(RUNS);
      expect(n).toBeLessThan(4 * settings.min);
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    'is not fooled by a canary slower by less than the effect size: it passes it more often than it fails it',
    () => {
      // median 5% higher: P(canary slower) about 0.53, well inside the tolerated 0.6
      const results = seeds.map((s) =>
        run(s, COMPARE_LATENCY, { medianMs: 21, errorRate: 0 }, { medianMs: 20, errorRate: 0 }, settings, opts),
      );
      const t = tally(results);
      console.log(`latency, canary 5% slower, ${RUNS} runs: ${JSON.stringify(t)}`);
      expect(t['not-worse']).toBeGreaterThan(t.worse);
    },
    SIMULATION_TIMEOUT_MS,
  );
});

describe('the error comparison (two proportions, always-valid)', () => {
  const settings = COMPARE_DEFAULTS[COMPARE_ERRORS]!;
  const opts = { looks: 100, perLook: 60, canaryShare: 0.3 };

  for (const rate of [0, 0.01, 0.05]) {
    it(
      `fails a canary with the primary's error rate (${rate * 100}%) in at most alpha of 300 runs`,
      () => {
        const same: Side = { medianMs: 20, errorRate: rate };
        const t = tally(seeds.map((s) => run(s, COMPARE_ERRORS, same, same, settings, opts)));
        console.log(`errors ${rate * 100}% both, ${RUNS} runs x ${opts.looks} looks: ${JSON.stringify(t)}`);
        expect(t.worse / RUNS).toBeLessThanOrEqual(settings.alpha);
      },
      SIMULATION_TIMEOUT_MS,
    );
  }

  it(
    'fails a canary with 5% errors against a primary with 1% in every run',
    () => {
      const results = seeds.map((s) =>
        run(s, COMPARE_ERRORS, { medianMs: 20, errorRate: 0.05 }, { medianMs: 20, errorRate: 0.01 }, settings, opts),
      );
      const t = tally(results);
      console.log(
        `errors 5% vs 1%, ${RUNS} runs: ${JSON.stringify(t)}, median canary responses ${median(results.map((r) => r.canaryN))}`,
      );
      expect(t.worse).toBe(RUNS);
    },
    SIMULATION_TIMEOUT_MS,
  );
});
