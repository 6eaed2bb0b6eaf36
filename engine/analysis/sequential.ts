/**
 * Always-valid inference for a difference `theta` (canary minus primary) whose estimate is
 * approximately normal: the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and
 * Walsh ("Always valid inference", 2017; Robbins' normal mixture).
 *
 * With an estimate `theta^` of variance `V` and a normal mixture N(theta0, tau^2) over the alternatives,
 *
 *   Lambda(theta0) = sqrt(V / (V + tau^2)) * exp( (theta^ - theta0)^2 * tau^2 / (2 V (V + tau^2)) )
 *
 * is (asymptotically) a nonnegative martingale with mean 1 when theta = theta0, so by Ville's inequality
 * P(Lambda ever reaches 1/alpha) <= alpha: `min over looks of 1/Lambda` is a p-value that stays valid
 * however often, and whenever, it is looked at. The set of theta0 with Lambda(theta0) < 1/alpha is a
 * confidence sequence: it holds the true theta at every look at once with probability >= 1 - alpha.
 */

export interface Estimate {
  /** the estimated difference */
  theta: number;
  /** its variance (> 0) */
  variance: number;
}

/** the mixture likelihood ratio Lambda(theta0) above (Infinity when it overflows) */
export function mixtureLikelihoodRatio(est: Estimate, theta0: number, tau: number): number {
  const v = est.variance;
  const t2 = tau * tau;
  const d = est.theta - theta0;
  const log = 0.5 * Math.log(v / (v + t2)) + (d * d * t2) / (2 * v * (v + t2));
  return Math.exp(log);
}

/** 1/Lambda(theta0), capped at 1 */
export function alwaysValidP(est: Estimate, theta0: number, tau: number): number {
  return Math.min(1, 1 / mixtureLikelihoodRatio(est, theta0, tau));
}

/** the confidence sequence's interval at this look: {theta0 : Lambda(theta0) < 1/alpha} */
export function confidenceInterval(est: Estimate, alpha: number, tau: number): { lower: number; upper: number } {
  const v = est.variance;
  const t2 = tau * tau;
  const radius = Math.sqrt(((v * (v + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((v + t2) / v)));
  return { lower: est.theta - radius, upper: est.theta + radius };
}

export type Verdict = 'worse' | 'not-worse' | 'undecided';

/**
 * What a comparison remembers between looks: the running minima of the two always-valid p-values and the
 * decision, which is final once taken (the test stops).
 */
export interface SequentialState {
  /** always-valid p-value of "the canary is not worse" (theta <= 0) */
  pWorse: number;
  /** always-valid p-value of "the canary is worse by the effect size or more" (theta >= effect) */
  pNotWorse: number;
  verdict: Verdict;
  /** looks that had the minimum sample */
  looks: number;
}

export function initialSequentialState(): SequentialState {
  return { pWorse: 1, pNotWorse: 1, verdict: 'undecided', looks: 0 };
}

export interface SequentialSettings {
  /** the largest tolerated degradation (theta units) */
  effect: number;
  /** significance */
  alpha: number;
}

/**
 * One look. `worse` once the confidence sequence lies above 0 (p of "not worse" <= alpha); `not-worse` once it
 * lies below the effect size (p of "worse by the effect or more" <= alpha); the first decision stands, and
 * `worse` wins a tie. Mixing scale tau = the effect size. Either wrong decision has probability <= alpha.
 */
export function sequentialLook(state: SequentialState, est: Estimate, s: SequentialSettings): SequentialState {
  const tau = s.effect;
  const pW = est.theta > 0 ? alwaysValidP(est, 0, tau) : 1;
  const pN = est.theta < s.effect ? alwaysValidP(est, s.effect, tau) : 1;
  const next: SequentialState = {
    pWorse: Math.min(state.pWorse, pW),
    pNotWorse: Math.min(state.pNotWorse, pN),
    verdict: state.verdict,
    looks: state.looks + 1,
  };
  if (next.verdict === 'undecided') {
    if (next.pWorse <= s.alpha) next.verdict = 'worse';
    else if (next.pNotWorse <= s.alpha) next.verdict = 'not-worse';
  }
  return next;
}

/** a number for a message: 2 significant digits, small ones in exponent form */
export function formatP(p: number): string {
  if (p >= 0.001) return String(Number(p.toPrecision(2)));
  return p.toExponential(1);
}

/** `p=0.0004`, or `p<1e-9` below that */
export function pText(p: number): string {
  return p < 1e-9 ? 'p<1e-9' : `p=${formatP(p)}`;
}
