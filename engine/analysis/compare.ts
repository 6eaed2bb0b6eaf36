import { COMPARE_ERRORS, type CompareSettings } from './compare-settings.js';
import { goldenLatencyQuantileMs, goldenTotal, type GoldenSnapshot } from './golden.js';
import { parsePromValue } from './prom-text.js';
import { formatP, pText, sequentialLook, type Estimate, type SequentialState, type Verdict } from './sequential.js';

/**
 * The two comparisons of a canary's responses with the primary's over the same window (docs/compare.md):
 * error rates (difference of two proportions) and latency (the Mann-Whitney / AUC statistic from the two
 * latency histograms), each fed to the always-valid sequential test of sequential.ts.
 */

export interface ComparisonLook {
  state: SequentialState;
  verdict: Verdict;
  /** the number a dashboard plots: percentage points of extra errors, or P(canary slower) */
  value: number | undefined;
  /** one line: both sides' figures, the statistic, the p-value and the decision */
  line: string;
}

/** the difference of error rates, canary minus primary, with its (smoothed, unpooled) variance */
export function errorRateDifference(
  canary: { total: number; failures: number },
  primary: { total: number; failures: number },
): Estimate {
  const rate = (s: { total: number; failures: number }) => s.failures / s.total;
  // Agresti-Caffo: one failure and one success added to each side for the variance, so zero errors still has some
  const smooth = (s: { total: number; failures: number }) => (s.failures + 1) / (s.total + 2);
  const pc = smooth(canary);
  const pp = smooth(primary);
  return {
    theta: rate(canary) - rate(primary),
    variance: (pc * (1 - pc)) / (canary.total + 2) + (pp * (1 - pp)) / (primary.total + 2),
  };
}

/** per-bucket (not cumulative) counts of two histograms over the union of their bounds, in bound order */
export function alignedBuckets(a: GoldenSnapshot, b: GoldenSnapshot): { bounds: number[]; a: number[]; b: number[] } {
  const bounds = [...new Set([...Object.keys(a.latencyBuckets), ...Object.keys(b.latencyBuckets)])]
    .map((le) => ({ le, v: parsePromValue(le) }))
    .filter((x): x is { le: string; v: number } => x.v !== undefined && !Number.isNaN(x.v))
    .sort((x, y) => x.v - y.v);
  const perBucket = (g: GoldenSnapshot): number[] => {
    let prev = 0;
    return bounds.map(({ le }) => {
      const cum = Math.max(prev, g.latencyBuckets[le] ?? prev);
      const n = cum - prev;
      prev = cum;
      return n;
    });
  };
  return { bounds: bounds.map((x) => x.v), a: perBucket(a), b: perBucket(b) };
}

/**
 * The AUC A = P(canary slower) + P(same bucket)/2 from binned latencies, theta = A - 0.5, with DeLong's
 * variance (placement values per bucket; same-bucket pairs count as ties). Undefined without observations.
 */
export function slowerProbability(canary: readonly number[], primary: readonly number[]): Estimate | undefined {
  const nc = canary.reduce((x, y) => x + y, 0);
  const np = primary.reduce((x, y) => x + y, 0);
  if (nc === 0 || np === 0) return undefined;
  const k = canary.length;
  // placement of a canary response in bucket i among the primary's: below + half of the same bucket
  const v10: number[] = [];
  const v01: number[] = [];
  let below = 0;
  for (let i = 0; i < k; i++) {
    v10.push((below + primary[i]! / 2) / np);
    below += primary[i]!;
  }
  let above = 0;
  for (let i = k - 1; i >= 0; i--) {
    v01[i] = (above + canary[i]! / 2) / nc;
    above += canary[i]!;
  }
  let auc = 0;
  for (let i = 0; i < k; i++) auc += canary[i]! * v10[i]!;
  auc /= nc;
  let s10 = 0;
  let s01 = 0;
  for (let i = 0; i < k; i++) {
    s10 += canary[i]! * (v10[i]! - auc) ** 2;
    s01 += primary[i]! * (v01[i]! - auc) ** 2;
  }
  s10 /= Math.max(1, nc - 1);
  s01 /= Math.max(1, np - 1);
  // floor: one pair's worth of uncertainty, so that all-tied data still has a (tiny) variance
  const variance = Math.max(s10 / nc + s01 / np, 1 / (4 * nc * np));
  return { theta: auc - 0.5, variance };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v)}ms`;
}

function decisionText(state: SequentialState, s: CompareSettings, what: string): string {
  const a = formatP(s.alpha);
  if (state.verdict === 'worse') return `always-valid ${pText(state.pWorse)} < ${a}: worse`;
  if (state.verdict === 'not-worse')
    return `${what} by more than ${formatP(s.effect)}: always-valid ${pText(state.pNotWorse)} < ${a}: not worse`;
  return `always-valid ${pText(state.pWorse)} (worse), ${pText(state.pNotWorse)} (${what} by more than ${formatP(s.effect)}), alpha ${a}: undecided`;
}

/**
 * One look at the error rates of both sides (increases since the comparison's window began). Below the
 * minimum sample on either side the state is unchanged and the verdict is whatever it already was.
 */
export function lookErrors(
  state: SequentialState,
  canary: GoldenSnapshot,
  primary: GoldenSnapshot,
  s: CompareSettings,
): ComparisonLook {
  const c = { total: goldenTotal(canary), failures: canary.responses.failure ?? 0 };
  const p = { total: goldenTotal(primary), failures: primary.responses.failure ?? 0 };
  const side = (x: { total: number; failures: number }) =>
    x.total > 0 ? `${percent(x.failures / x.total)} (${x.failures}/${x.total})` : 'no responses';
  const head = `canary errors ${side(c)} vs primary ${side(p)}`;
  const value = c.total > 0 && p.total > 0 ? (c.failures / c.total - p.failures / p.total) * 100 : undefined;
  return look(state, head, value, c.total, p.total, s, 'more errors', () => errorRateDifference(c, p));
}

/** One look at the latency histograms of both sides. */
export function lookLatency(
  state: SequentialState,
  canary: GoldenSnapshot,
  primary: GoldenSnapshot,
  s: CompareSettings,
): ComparisonLook {
  const { a, b } = alignedBuckets(canary, primary);
  const nc = a.reduce((x, y) => x + y, 0);
  const np = b.reduce((x, y) => x + y, 0);
  const q = (g: GoldenSnapshot, x: number) => goldenLatencyQuantileMs(x, g);
  const est = slowerProbability(a, b);
  const slower = est === undefined ? '' : `, P(canary slower)=${(est.theta + 0.5).toFixed(2)}`;
  const head =
    `canary p50 ${ms(q(canary, 0.5))} p99 ${ms(q(canary, 0.99))} vs primary p50 ${ms(q(primary, 0.5))} ` +
    `p99 ${ms(q(primary, 0.99))}${slower}`;
  return look(state, head, est && est.theta + 0.5, nc, np, s, 'slower', () => est);
}

function look(
  state: SequentialState,
  head: string,
  value: number | undefined,
  nc: number,
  np: number,
  s: CompareSettings,
  what: string,
  estimate: () => Estimate | undefined,
): ComparisonLook {
  const counts = `n=${nc} vs ${np}`;
  const est = nc >= s.min && np >= s.min ? estimate() : undefined;
  if (est === undefined) {
    const next = state;
    const why =
      next.verdict === 'undecided' ? `fewer than ${s.min} responses on a side: undecided` : decisionText(next, s, what);
    return { state: next, verdict: next.verdict, value, line: `${head} (${counts}), ${why}` };
  }
  const next = sequentialLook(state, est, s);
  return { state: next, verdict: next.verdict, value, line: `${head} (${counts}), ${decisionText(next, s, what)}` };
}

/** the look for a comparative metric by name */
export function lookComparison(
  name: string,
  state: SequentialState,
  canary: GoldenSnapshot,
  primary: GoldenSnapshot,
  s: CompareSettings,
): ComparisonLook {
  return name === COMPARE_ERRORS ? lookErrors(state, canary, primary, s) : lookLatency(state, canary, primary, s);
}
