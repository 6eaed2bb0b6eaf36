import { normalQuantile } from './normal-quantile.js';

/**
 * Weir's fast rollback (docs/fast-rollback.md): the decision, as a pure function of the canary's response
 * counts since its run started, the Canary's `request-success-rate` minimum and the confidence.
 *
 * The statistic: the one-sided upper Wilson score bound of the success rate. At look k of a run (a look =
 * one evaluation with new requests since the previous one) the bound is taken at level 1 - α_k with
 * α_k = α · 6 / (π² k²), α = 1 - confidence. The α_k sum to α over every look of a run (Σ 1/k² = π²/6), so by
 * the union bound a canary whose true success rate is at or above the threshold is rolled back by this path
 * with probability at most α over the whole run, however long it runs and however often it is looked at
 * (Wilson's bound is an approximation; its coverage is close to nominal for the counts used here).
 */
export interface FastRollbackCounts {
  /** responses of the canary since its run started */
  total: number;
  /** of which failures (5xx, connection errors: the sidecar's `classification="failure"`) */
  failures: number;
}

export interface FastRollbackSettings {
  /** no decision below this many responses (default 20) */
  minRequests: number;
  /** 1 - α, the probability that a healthy canary is never rolled back by this path in one run (default 0.999) */
  confidence: number;
}

export const FAST_ROLLBACK_DEFAULTS: FastRollbackSettings = { minRequests: 20, confidence: 0.999 };

export type FastRollbackVerdict = 'breach' | 'ok' | 'undecided';

export interface FastRollbackDecision {
  verdict: FastRollbackVerdict;
  /** one line: the counts, the bound and the threshold */
  reason: string;
  /** the Wilson bounds of the success rate at this look's level, in percent (absent below minRequests) */
  upperPercent?: number;
  lowerPercent?: number;
  /** the z value used at this look */
  z?: number;
}

/** α_k = α · 6 / (π² k²): this look's share of the run's false-rollback budget (k >= 1) */
export function lookAlpha(confidence: number, look: number): number {
  return ((1 - confidence) * 6) / (Math.PI * Math.PI * Math.max(1, look) ** 2);
}

/** the one-sided z for this look: P(Z > z) = α_k */
export function lookZ(confidence: number, look: number): number {
  return -normalQuantile(lookAlpha(confidence, look));
}

/** the Wilson score interval of `successes / n` at `z` (two bounds, each one-sided at the level of `z`) */
export function wilsonBounds(successes: number, n: number, z: number): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * breach: the upper bound of the success rate is below `thresholdPercent` (the canary is worse than the
 * threshold beyond doubt); ok: the lower bound is at or above it; undecided otherwise or below `minRequests`.
 */
export function judgeFastRollback(
  counts: FastRollbackCounts,
  thresholdPercent: number,
  settings: FastRollbackSettings,
  look: number,
): FastRollbackDecision {
  const { total, failures } = counts;
  if (total < settings.minRequests)
    return { verdict: 'undecided', reason: `${total} of the ${settings.minRequests} requests needed to decide` };
  const successes = Math.max(0, total - failures);
  const z = lookZ(settings.confidence, look);
  const { lower, upper } = wilsonBounds(successes, total, z);
  const level = `${(settings.confidence * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
  const head = `success rate ${pct(successes / total)} over ${total} requests (${failures} failed)`;
  const bound = `Wilson upper bound ${pct(upper)} (run confidence ${level}, look ${look}, z ${z.toFixed(2)})`;
  const base = { upperPercent: upper * 100, lowerPercent: lower * 100, z };
  if (upper * 100 < thresholdPercent)
    return { verdict: 'breach', reason: `${head}: ${bound} below the threshold ${thresholdPercent}%`, ...base };
  if (lower * 100 >= thresholdPercent)
    return {
      verdict: 'ok',
      reason: `${head}: Wilson lower bound ${pct(lower)} at or above ${thresholdPercent}%`,
      ...base,
    };
  return { verdict: 'undecided', reason: `${head}: ${bound} not below the threshold ${thresholdPercent}%`, ...base };
}
