import type { Tick } from './context.js';
import { strategyOf } from './strategy-kind.js';
import { maxWeight } from './weights.js';

/**
 * Whether this tick's check is the last one with both versions answering side by side: a passing check
 * promotes next (canary at `maxWeight`; A/B after its iterations), or moves every request to the canary
 * (blue/green after its iterations). A comparative metric must be decided by then (docs/compare.md).
 */
export function isFinalCheck(t: Tick): boolean {
  const analysis = t.analysis;
  if (!analysis) return false;
  if (t.phase === 'WaitingPromotion') return true;
  switch (strategyOf(analysis)) {
    case 'ab-testing':
    case 'blue-green':
      return t.status.iterations >= (analysis.iterations ?? 0);
    default:
      return t.routes.canary >= maxWeight(analysis);
  }
}
