/**
 * The built-in Canary metric `mirror-diff-rate`: the percent of compared mirrored requests whose canary
 * answer differed from the primary's (noise left out), over the metric's window, from the proxies'
 * `mirror_diff_requests_total` and `mirror_diff_differing_total` counters of the canary's mirror backend.
 */
export const MIRROR_DIFF_RATE = 'mirror-diff-rate';
export const MIRROR_DIFF_REQUESTS_TOTAL = 'mirror_diff_requests_total';
export const MIRROR_DIFF_DIFFERING_TOTAL = 'mirror_diff_differing_total';
export const MIRROR_DIFF_DIFFERENCES_TOTAL = 'mirror_diff_differences_total';

/** cumulative counts of compared and differing requests */
export interface DiffTotals {
  compared: number;
  differing: number;
}

/** sum the mirror-diff counters of one exposition whose labels `select` keeps */
export function diffTotals(
  samples: ReadonlyArray<{ name: string; labels: Record<string, string>; value: number }>,
  select: (labels: Record<string, string>) => boolean,
): DiffTotals {
  const out: DiffTotals = { compared: 0, differing: 0 };
  for (const s of samples) {
    if (!Number.isFinite(s.value) || !select(s.labels)) continue;
    if (s.name === MIRROR_DIFF_REQUESTS_TOTAL) out.compared += s.value;
    else if (s.name === MIRROR_DIFF_DIFFERING_TOTAL) out.differing += s.value;
  }
  return out;
}

/** what happened between two totals of the same source (a decrease: the source restarted) */
export function diffIncrease(before: DiffTotals | undefined, after: DiffTotals): DiffTotals {
  if (before === undefined || after.compared < before.compared || after.differing < before.differing)
    return { ...after };
  return { compared: after.compared - before.compared, differing: after.differing - before.differing };
}

/** percent of compared requests that differed; undefined when none was compared */
export function diffRatePercent(t: DiffTotals): number | undefined {
  return t.compared > 0 ? (100 * t.differing) / t.compared : undefined;
}
