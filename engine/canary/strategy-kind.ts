import type { CanaryAnalysis } from '../resources/index.js';

export type Strategy = 'canary' | 'blue-green' | 'ab-testing';

/** Flagger `DeploymentStrategy()`: iterations + match = A/B, iterations = blue/green, else canary. */
export function strategyOf(a: CanaryAnalysis | undefined): Strategy {
  if ((a?.iterations ?? 0) > 0) return (a?.match?.length ?? 0) > 0 ? 'ab-testing' : 'blue-green';
  return 'canary';
}
