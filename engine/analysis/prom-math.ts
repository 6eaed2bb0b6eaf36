/**
 * The PromQL arithmetic Flagger's Linkerd queries rely on (reference 3.12), computed from two
 * snapshots of cumulative counters instead of a Prometheus server:
 *
 *   success rate = sum(rate(response_total{classification!="failure"}[w])) / sum(rate(response_total[w])) * 100
 *   p99          = histogram_quantile(0.99, sum(rate(response_latency_ms_bucket[w])) by (le))
 *
 * `rate` divides by the window, which cancels in both a ratio and a quantile, so only the increases
 * matter. Unlike Prometheus, no extrapolation to the window edges is done (the window is exactly the
 * span between the two samples).
 */

/** Increase of a counter between two readings; a decrease means the counter was reset (process restart). */
export function counterIncrease(before: number | undefined, after: number): number {
  if (before === undefined) return after;
  return after >= before ? after - before : after;
}

export interface Bucket {
  /** upper bound (`le`), `Infinity` for `+Inf` */
  le: number;
  /** cumulative count of observations <= le */
  count: number;
}

/**
 * Prometheus `histogram_quantile` (promql/quantile.go `bucketQuantile`): linear interpolation inside the
 * bucket holding the rank; the lowest bucket starts at 0; a rank in the `+Inf` bucket answers the highest
 * finite bound. NaN when there are no observations, fewer than two buckets, or no `+Inf` bucket.
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  // merge duplicate bounds (sum by le)
  const merged: Bucket[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ ...b });
  }
  if (merged.length < 2) return NaN;
  const top = merged[merged.length - 1]!;
  if (top.le !== Infinity) return NaN;
  // ensure monotonic counts, as Prometheus does for scraped histograms with small inconsistencies
  let max = -Infinity;
  for (const b of merged) {
    if (b.count < max) b.count = max;
    else max = b.count;
  }
  const observations = top.count;
  if (observations === 0 || Number.isNaN(observations)) return NaN;
  let rank = q * observations;
  let b = merged.findIndex((x) => x.count >= rank);
  if (b === -1) b = merged.length - 1;
  if (b === merged.length - 1) return merged[merged.length - 2]!.le;
  if (b === 0 && merged[0]!.le <= 0) return merged[0]!.le;
  let bucketStart = 0;
  const bucketEnd = merged[b]!.le;
  let count = merged[b]!.count;
  if (b > 0) {
    bucketStart = merged[b - 1]!.le;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Percentage of non-failures; undefined when there were no responses (no data). */
export function successRatePercent(total: number, failures: number): number | undefined {
  if (!(total > 0)) return undefined;
  return ((total - failures) / total) * 100;
}
