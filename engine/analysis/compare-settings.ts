/**
 * Weir's comparative metrics (canary against primary, docs/compare.md): two builtin metric names a Canary
 * lists beside Flagger's, with their settings in the metric's `query` field as `key=value` pairs:
 *
 *   - name: weir-compare-latency
 *     query: effect=0.1,alpha=0.05,min=100
 */

export const COMPARE_ERRORS = 'weir-compare-errors';
export const COMPARE_LATENCY = 'weir-compare-latency';

export function isComparativeMetric(name: string): boolean {
  return name === COMPARE_ERRORS || name === COMPARE_LATENCY;
}

export interface CompareSettings {
  /**
   * the largest tolerated degradation: for errors, canary error rate minus the primary's (a fraction, 0.01 =
   * one percentage point); for latency, P(a canary response is slower than a primary one) minus 0.5
   */
  effect: number;
  /** significance: the probability of each wrong decision */
  alpha: number;
  /** responses each side needs before any decision */
  min: number;
}

export const COMPARE_DEFAULTS: Record<string, CompareSettings> = {
  [COMPARE_ERRORS]: { effect: 0.01, alpha: 0.05, min: 100 },
  [COMPARE_LATENCY]: { effect: 0.1, alpha: 0.05, min: 100 },
};

const RANGES: Record<keyof CompareSettings, { test: (v: number) => boolean; wanted: string }> = {
  effect: { test: (v) => v > 0 && v < 0.5, wanted: 'a number above 0 and below 0.5' },
  alpha: { test: (v) => v > 0 && v < 0.5, wanted: 'a number above 0 and below 0.5' },
  min: { test: (v) => Number.isInteger(v) && v >= 10, wanted: 'a whole number of at least 10' },
};

/**
 * The settings of a comparative metric: its defaults overridden by `query` (`effect=0.2,alpha=0.05,min=200`;
 * spaces allowed, any subset, any order). Throws an Error naming the bad pair and what was wanted.
 */
export function parseCompareSettings(name: string, query: string | undefined): CompareSettings {
  const defaults = COMPARE_DEFAULTS[name];
  if (!defaults) throw new Error(`"${name}" is not a comparative metric`);
  const out = { ...defaults };
  if (query === undefined || query.trim() === '') return out;
  const seen = new Set<string>();
  for (const part of query.split(',')) {
    const pair = part.trim();
    const m = /^([a-z]+)\s*=\s*(\S+)$/.exec(pair);
    if (!m) throw new Error(`"${pair}": expected key=value with a key among effect, alpha, min`);
    const key = m[1]!;
    if (!(key in RANGES)) throw new Error(`"${key}": unknown setting, expected effect, alpha or min`);
    const k = key as keyof CompareSettings;
    if (seen.has(k)) throw new Error(`"${key}" is given twice`);
    seen.add(k);
    const value = Number(m[2]);
    if (!Number.isFinite(value) || !RANGES[k].test(value))
      throw new Error(`${key}=${m[2]}: expected ${RANGES[k].wanted}`);
    out[k] = value;
  }
  return out;
}
