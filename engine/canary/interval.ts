import { parseDurationMs, type Canary, type CanaryAnalysis, type CanaryMetric } from '../resources/index.js';

/** Flagger's default when `interval` is empty or unparsable (`GetAnalysisInterval`). */
export const DEFAULT_INTERVAL_MS = 60_000;
/** Flagger clamps the analysis interval to at least 10 s. */
export const FLAGGER_MIN_INTERVAL_MS = 10_000;
/**
 * Weir allows intervals down to 1 s so that demos and CI gates are quick (documented difference from
 * Flagger, whose floor is 10 s).
 */
export const WEIR_MIN_INTERVAL_MS = 1_000;
/** Flagger's default metric window (`metrics[].interval`). */
export const DEFAULT_METRIC_INTERVAL_MS = 60_000;

/** `analysis.interval` and `metrics[].interval` are Go durations (validated non-negative by the schema). */
export function parseIntervalMs(interval: string | undefined, fallbackMs: number): number {
  if (interval === undefined || interval === '') return fallbackMs;
  const ms = parseDurationMs(interval);
  return ms === undefined ? fallbackMs : ms;
}

export function getAnalysis(canary: Canary): CanaryAnalysis | undefined {
  return canary.spec.analysis ?? canary.spec.canaryAnalysis;
}

/** The tick period of a canary: `analysis.interval`, default 60 s, at least 1 s (Flagger: at least 10 s). */
export function analysisIntervalMs(canary: Canary): number {
  const ms = parseIntervalMs(getAnalysis(canary)?.interval, DEFAULT_INTERVAL_MS);
  return Math.max(WEIR_MIN_INTERVAL_MS, ms);
}

/** The range of a metric query (`metrics[].interval`, default 1m). */
export function metricWindowMs(metric: CanaryMetric): number {
  return Math.max(WEIR_MIN_INTERVAL_MS, parseIntervalMs(metric.interval, DEFAULT_METRIC_INTERVAL_MS));
}
