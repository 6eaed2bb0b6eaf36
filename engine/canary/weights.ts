import type { CanaryAnalysis } from '../resources/index.js';

/** Flagger's `totalWeight`: the two backends' weights always add up to 100. */
export const TOTAL_WEIGHT = 100;

/** `maxWeight`, or with `stepWeights` the last rung capped at 100 (Flagger `GetMaxWeight`). */
export function maxWeight(analysis: CanaryAnalysis): number {
  const ladder = analysis.stepWeights;
  if (ladder && ladder.length > 0) return Math.min(TOTAL_WEIGHT, ladder[ladder.length - 1]!);
  return analysis.maxWeight !== undefined && analysis.maxWeight > 0 ? analysis.maxWeight : TOTAL_WEIGHT;
}

/**
 * The canary weight after one advance from `current`.
 *
 * - `stepWeight`: current + stepWeight, **capped at maxWeight**. Weir deliberately differs from Flagger,
 *   which overshoots (stepWeight 20 / maxWeight 50 goes 20, 40, 60): Weir goes 20, 40, 50.
 * - `stepWeights`: the first rung above `current`, capped at min(100, last rung): [1,2,10,80] goes
 *   1, 2, 10, 80 and [1,2,10,200] goes 1, 2, 10, 100 as in Flagger. A current weight that is not on the
 *   ladder moves to the next rung above it (Flagger jumps to 100).
 * - neither: no step (the weight stays where it is).
 */
export function nextCanaryWeight(analysis: CanaryAnalysis, current: number): number {
  const max = maxWeight(analysis);
  if (current >= max) return current;
  const ladder = analysis.stepWeights;
  if ((analysis.stepWeight ?? 0) <= 0 && ladder && ladder.length > 0) {
    const rung = ladder.find((w) => w > current);
    return Math.min(rung ?? max, max);
  }
  const step = analysis.stepWeight ?? 0;
  if (step <= 0) return current;
  return Math.min(current + step, max);
}

/** The whole ladder a canary walks from 0, for docs, the CLI and tests. */
export function weightLadder(analysis: CanaryAnalysis): number[] {
  const out: number[] = [];
  let w = 0;
  for (let i = 0; i <= TOTAL_WEIGHT; i++) {
    const next = nextCanaryWeight(analysis, w);
    if (next === w) break;
    out.push(next);
    w = next;
  }
  return out;
}

/** One step of `stepWeightPromotion` back to the primary (Flagger `runPromotionTrafficShift`). */
export function promotionShift(
  step: number,
  weights: { primary: number; canary: number },
): { primary: number; canary: number } {
  return {
    primary: Math.min(TOTAL_WEIGHT, weights.primary + step),
    canary: Math.max(0, weights.canary - step),
  };
}
