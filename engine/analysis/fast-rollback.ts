import { binomialLowerTail, binomialUpperTail, clopperPearsonUpper } from './binomial.js';

/**
 * Weir's fast rollback (docs/fast-rollback.md): the decision, as a pure function of the canary's response
 * counts since its run started, the Canary's `request-success-rate` minimum and the confidence.
 *
 * The statistic: the exact one-sided Clopper-Pearson upper bound of the success rate. At look k of a run (a
 * look = one evaluation with new responses since the previous one) the bound is taken at level 1 - α_k with
 * α_k = α · 6 / (π² k²), α = 1 - confidence. A breach is "the upper bound is below the threshold", which is the
 * exact binomial test P(F >= failures | n, 1 - threshold) < α_k. The α_k sum to α over every look of a run
 * (Σ 1/k² = π²/6), so by the union bound a canary whose true success rate is at or above the threshold is
 * rolled back by this path with probability at most α over the whole run, however long it runs and however
 * often it is looked at.
 */
export interface FastRollbackCounts {
  /** responses of the canary since its run started */
  total: number;
  /** of which failures (the sidecar's `classification="failure"`: 5xx, or a response the proxy produced or broke) */
  failures: number;
}

export interface FastRollbackSettings {
  /** no decision below this many responses (default 20) */
  minRequests: number;
  /** 1 - α: the probability that a canary meeting the threshold is never rolled back by this path in a run (default 0.999) */
  confidence: number;
}

export const FAST_ROLLBACK_DEFAULTS: FastRollbackSettings = { minRequests: 20, confidence: 0.999 };

export type FastRollbackVerdict = 'breach' | 'ok' | 'undecided';

export interface FastRollbackDecision {
  verdict: FastRollbackVerdict;
  /** one line: the counts, the bound or the test, and the threshold */
  reason: string;
  /** on a breach: the Clopper-Pearson upper bound of the success rate at this look's level, in percent */
  upperPercent?: number;
  /** P(this many failures or more | the success rate were exactly the threshold) */
  pValue?: number;
  /** this look's share of the run's false-rollback budget */
  alpha?: number;
}

/** α_k = α · 6 / (π² k²): this look's share of the run's false-rollback budget (k >= 1) */
export function lookAlpha(confidence: number, look: number): number {
  return ((1 - confidence) * 6) / (Math.PI * Math.PI * Math.max(1, look) ** 2);
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const sci = (x: number) => x.toExponential(1);

/**
 * breach: the success rate's upper bound is below `thresholdPercent` (worse than the threshold beyond doubt);
 * ok: its lower bound is at or above it (better beyond doubt); undecided otherwise, or below `minRequests`.
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
  const alpha = lookAlpha(settings.confidence, look);
  const failureAtThreshold = Math.min(1, Math.max(0, 1 - thresholdPercent / 100));
  const head = `success rate ${pct(successes / total)} over ${total} requests (${failures} failed)`;
  const level = `run confidence ${(settings.confidence * 100).toFixed(4).replace(/\.?0+$/, '')}%, look ${look}`;
  // P(F >= failures) if the canary were exactly at the threshold: small = too many failures for a good canary
  const pValue = binomialUpperTail(failures, total, failureAtThreshold);
  if (pValue < alpha) {
    const upper = clopperPearsonUpper(successes, total, alpha);
    return {
      verdict: 'breach',
      reason: `${head}: Clopper-Pearson upper bound ${pct(upper)} (${level}) below the threshold ${thresholdPercent}%`,
      upperPercent: upper * 100,
      pValue,
      alpha,
    };
  }
  if (binomialLowerTail(failures, total, failureAtThreshold) < alpha)
    return {
      verdict: 'ok',
      reason: `${head}: Clopper-Pearson lower bound at or above the threshold ${thresholdPercent}% (${level})`,
      pValue,
      alpha,
    };
  return {
    verdict: 'undecided',
    reason: `${head}: not beyond doubt below the threshold ${thresholdPercent}% (p ${sci(pValue)}, needs < ${sci(alpha)}; ${level})`,
    pValue,
    alpha,
  };
}
