/** Pure helpers of the benchmark: percentiles, medians, ratios, formatting. No I/O. */

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array; NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  // (the epsilon keeps 99.9 % of 1000 at rank 999 despite floating point)
  const rank = Math.min(n, Math.max(1, Math.ceil((p * n) / 100 - 1e-9)));
  return sorted[rank - 1] as number;
}

/** Median of the finite values (mean of the middle two when even); NaN when there are none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** [min, max] of the finite values, or undefined */
export function range(values: readonly number[]): [number, number] | undefined {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return undefined;
  return [Math.min(...v), Math.max(...v)];
}

/** a / b, NaN when either is missing or b is 0 */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/**
 * Ratios taken per repetition, then the median: `num` and `den` map repetition -> value; only the
 * repetitions that have both count.
 */
export function medianRatio(num: ReadonlyMap<number, number>, den: ReadonlyMap<number, number>): number {
  const rs: number[] = [];
  for (const [rep, a] of num) {
    const r = ratio(a, den.get(rep));
    if (Number.isFinite(r)) rs.push(r);
  }
  return median(rs);
}

/** Per-repetition difference `a - b`, then the median (e.g. added p50 over direct). */
export function medianDiff(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number {
  const ds: number[] = [];
  for (const [rep, x] of a) {
    const y = b.get(rep);
    if (y !== undefined && Number.isFinite(x) && Number.isFinite(y)) ds.push(x - y);
  }
  return median(ds);
}

/** CPU microseconds per request: seconds of CPU over requests served */
export function cpuMicrosPerRequest(cpuSeconds: number, requests: number): number {
  if (!(requests > 0) || !Number.isFinite(cpuSeconds)) return NaN;
  return (cpuSeconds * 1e6) / requests;
}

/**
 * Parse an h2load `--log-file` (tab-separated: start in µs since the epoch, status, µs to the end of the
 * response). Requests that started within `skipSeconds` of the first one are dropped (warm-up).
 * Returns the durations of the 2xx responses, sorted, and the count of the others (-1 = failed stream).
 */
export function parseH2loadLog(text: string, skipSeconds = 0): { durationsUs: number[]; failed: number } {
  const rows: Array<[number, number, number]> = [];
  let first = Infinity;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [start, status, dur] = line.split('\t').map(Number) as [number, number, number];
    rows.push([start, status, dur]);
    if (start < first) first = start;
  }
  const durationsUs: number[] = [];
  let failed = 0;
  for (const [start, status, dur] of rows) {
    if (start < first + skipSeconds * 1e6) continue;
    if (status >= 200 && status < 300) durationsUs.push(dur);
    else failed++;
  }
  durationsUs.sort((x, y) => x - y);
  return { durationsUs, failed };
}

export function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—';
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

/** `1.23×` or `—` */
export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : '—';
}
