import type { CanaryMetric } from '../resources/index.js';
import { goDurationMs, goFloat } from './go-format.js';
import { isComparativeMetric } from './compare-settings.js';
import type { Verdict } from './sequential.js';

export const REQUEST_SUCCESS_RATE = 'request-success-rate';
export const REQUEST_DURATION = 'request-duration';

/** Weir's built-in mirror diff rate (engine/mirror-diff/rate.ts), percent */
export const MIRROR_DIFF_RATE_METRIC = 'mirror-diff-rate';

export function isBuiltinMetric(name: string): boolean {
  return name === REQUEST_SUCCESS_RATE || name === REQUEST_DURATION || name === MIRROR_DIFF_RATE_METRIC;
}

/** What a metrics provider answered for one metric of one tick. */
export interface MetricObservation {
  name: string;
  /** undefined = no data (no traffic in the window) or an error */
  value?: number;
  /** a query error (not the absence of data) */
  error?: string;
  /** provider name for messages ("mesh", "prometheus") */
  provider?: string;
  /** a comparative metric's (docs/compare.md) decision so far and its one-line explanation */
  comparison?: { verdict: Verdict; line: string };
}

/** The verdict on one metric: a failed check carries the value, the threshold used and Flagger's message. */
export interface MetricCheckResult {
  metric: string;
  value: number | undefined;
  ok: boolean;
  threshold: { min?: number; max?: number };
  /** present when the check failed */
  message?: string;
  noData?: boolean;
  /** a comparative metric's one-line explanation, for the `Analysis` condition */
  explanation?: string;
}

/** Names used in the messages: `Halt <canary>.<ns> ...`, `probably <target>.<ns> ...`. */
export interface CheckSubject {
  canary: string;
  namespace: string;
  target: string;
}

/** thresholdRange if present, else the deprecated `threshold` read as Flagger does per metric kind. */
export function effectiveThreshold(metric: CanaryMetric): { min?: number; max?: number } {
  if (metric.thresholdRange) {
    const r: { min?: number; max?: number } = {};
    if (metric.thresholdRange.min !== undefined) r.min = metric.thresholdRange.min;
    if (metric.thresholdRange.max !== undefined) r.max = metric.thresholdRange.max;
    return r;
  }
  if (metric.threshold === undefined) return {};
  return metric.name === REQUEST_SUCCESS_RATE ? { min: metric.threshold } : { max: metric.threshold };
}

/**
 * Flagger's threshold semantics (`scheduler_metrics.go`, reference 1.3 and 3.11):
 * - `thresholdRange`: fail if value < min or value > max;
 * - deprecated `threshold`: success rate fails if threshold > value, duration and custom metrics if value > threshold;
 * - `request-duration` is compared as whole milliseconds (Flagger converts to `time.Duration`);
 * - no data fails the check with Flagger's "no values found" message.
 *
 * Weir difference: a metric with neither `thresholdRange` nor `threshold` passes (Flagger fails a custom
 * metric or a duration on any value > 0 in that case, which no working configuration relies on).
 */
export function evaluateMetric(
  subject: CheckSubject,
  metric: CanaryMetric,
  observation: MetricObservation | undefined,
  options: CheckOptions = {},
): MetricCheckResult {
  if (isComparativeMetric(metric.name)) return evaluateComparison(subject, metric, observation, options);
  const threshold = effectiveThreshold(metric);
  const builtin = isBuiltinMetric(metric.name);
  const fail = (message: string, value: number | undefined, noData = false): MetricCheckResult => ({
    metric: metric.name,
    value,
    ok: false,
    threshold,
    message,
    ...(noData ? { noData } : {}),
  });
  if (!builtin && metric.query === undefined && metric.templateRef === undefined) {
    return fail('Metric query failed for no usable metrics template and query were configured', undefined);
  }
  if (observation?.error !== undefined) {
    return fail(`Metric query failed for ${metric.name}: ${observation.error}`, undefined);
  }
  const value = observation?.value;
  if (value === undefined || Number.isNaN(value)) {
    const provider = observation?.provider ?? 'mesh';
    return fail(
      builtin
        ? `Halt advancement no values found for ${provider} metric ${metric.name} probably ${subject.target}.${subject.namespace} is not receiving traffic: no values found`
        : `Halt advancement no values found for custom metric: ${metric.name}: no values found`,
      undefined,
      true,
    );
  }
  const halt = `Halt ${subject.canary}.${subject.namespace} advancement`;
  const { min, max } = threshold;
  if (metric.name === REQUEST_SUCCESS_RATE) {
    if (min !== undefined && value < min)
      return fail(`${halt} success rate ${value.toFixed(2)}% < ${goFloat(min)}%`, value);
    if (max !== undefined && value > max)
      return fail(`${halt} success rate ${value.toFixed(2)}% > ${goFloat(max)}%`, value);
  } else if (metric.name === REQUEST_DURATION) {
    const v = Math.trunc(value);
    if (min !== undefined && v < Math.trunc(min))
      return fail(`${halt} request duration ${goDurationMs(v)} < ${goDurationMs(min)}`, value);
    if (max !== undefined && v > Math.trunc(max))
      return fail(`${halt} request duration ${goDurationMs(v)} > ${goDurationMs(max)}`, value);
  } else {
    if (min !== undefined && value < min)
      return fail(`${halt} ${metric.name} ${value.toFixed(2)} < ${goFloat(min)}`, value);
    if (max !== undefined && value > max)
      return fail(`${halt} ${metric.name} ${value.toFixed(2)} > ${goFloat(max)}`, value);
  }
  return { metric: metric.name, value, ok: true, threshold };
}

export interface CheckOptions {
  /** the check before promotion (or before all traffic moves to the canary): a comparison must be decided */
  final?: boolean;
}

/**
 * A comparative metric (docs/compare.md): `worse` fails the check; `not-worse` passes it; `undecided` passes
 * it, except at the final check, which it fails (the weight holds while more responses arrive, and
 * `threshold` such checks roll back). The value is P(canary slower) or the extra errors in percentage points.
 */
function evaluateComparison(
  subject: CheckSubject,
  metric: CanaryMetric,
  observation: MetricObservation | undefined,
  options: CheckOptions,
): MetricCheckResult {
  const base = { metric: metric.name, value: observation?.value, threshold: {} };
  const halt = `Halt ${subject.canary}.${subject.namespace} advancement ${metric.name}`;
  if (observation?.error !== undefined) {
    return { ...base, ok: false, message: `Metric query failed for ${metric.name}: ${observation.error}` };
  }
  const c = observation?.comparison;
  if (c === undefined) {
    const why = 'no comparison of the canary with the primary was made';
    return options.final
      ? { ...base, ok: false, message: `${halt} ${why}: undecided at the last step`, explanation: why, noData: true }
      : { ...base, ok: true };
  }
  if (c.verdict === 'worse') return { ...base, ok: false, message: `${halt} ${c.line}`, explanation: c.line };
  if (c.verdict === 'undecided' && options.final) {
    const line = `${c.line} at the last step`;
    return { ...base, ok: false, message: `${halt} ${line}`, explanation: line };
  }
  return { ...base, ok: true, explanation: c.line };
}

/** Every metric of the analysis, in spec order (the scheduler halts on the first failure, as Flagger does). */
export function evaluateMetrics(
  subject: CheckSubject,
  metrics: readonly CanaryMetric[],
  observations: readonly MetricObservation[],
  options: CheckOptions = {},
): MetricCheckResult[] {
  return metrics.map((m) =>
    evaluateMetric(
      subject,
      m,
      observations.find((o) => o.name === m.name),
      options,
    ),
  );
}
