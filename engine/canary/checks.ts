import { evaluateMetrics, type MetricCheckResult } from '../analysis/thresholds.js';
import { describeMetricFailure } from './conditions.js';
import { NeedSignal, type Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { isFinalCheck } from './final-check.js';

/** Flagger: pre-rollout hooks on the first analysis tick (weight 0, no iterations); true when all passed. */
export function runPreRolloutHooks(t: Tick): boolean {
  for (const r of t.hookResults('pre-rollout')) {
    if (!r.ok) {
      t.warn(messages.preRolloutFailed(t.names, r.name, r.message ?? ''));
      if (!t.muted('pre-rollout', r.name)) t.alert('error', alertMessages.preRolloutFailed(r.name, r.message ?? ''));
      t.failure = { reason: 'PreRolloutCheckFailed', message: `pre-rollout hook ${r.name} failed: ${r.message ?? ''}` };
      return false;
    }
    t.info(messages.preRolloutPassed(r.name));
  }
  return true;
}

/** The verdicts of the metrics for this tick (asks the controller for values when it has none). */
export function metricResults(t: Tick): MetricCheckResult[] {
  const metrics = t.analysis?.metrics ?? [];
  if (metrics.length === 0) return [];
  const observed = t.input.observations.metrics;
  if (observed === undefined) throw new NeedSignal({ kind: 'metrics' });
  return evaluateMetrics(
    { canary: t.names.canary, namespace: t.names.namespace, target: t.names.target },
    metrics,
    observed,
    { final: isFinalCheck(t) },
  );
}

/**
 * Flagger `runAnalysis`: rollout hooks in order, then the metrics in order; the first failure is reported
 * (one Warning event) and fails the whole check. True when everything passed.
 */
export function runAnalysis(t: Tick): boolean {
  for (const r of t.hookResults('rollout')) {
    if (!r.ok) {
      t.warn(messages.externalCheckFailed(t.names, r.name, r.message ?? ''));
      t.failure = { reason: 'WebhookCheckFailed', message: `rollout hook ${r.name} failed: ${r.message ?? ''}` };
      return false;
    }
  }
  const results = metricResults(t);
  const failed = results.find((r) => !r.ok);
  if (failed) {
    t.warn(failed.message ?? `Halt ${t.names.canary}.${t.names.namespace} advancement ${failed.metric}`);
    t.failure = { reason: 'MetricCheckFailed', message: describeMetricFailure(failed) };
    return false;
  }
  // Weir: the comparisons' decisions that let the canary through, once, at the check before promotion
  if (isFinalCheck(t)) {
    for (const r of results) if (r.explanation !== undefined) t.info(`${r.metric} ${r.explanation}`);
  }
  return true;
}
