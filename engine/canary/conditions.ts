import type { MetricCheckResult } from '../analysis/thresholds.js';
import type { CanaryCondition } from '../resources/index.js';
import type { Tick } from './context.js';

/**
 * Weir addition: the `Analysis` condition answers "why did it roll back" from the status alone. Each failed
 * check writes the metric, its value and the threshold (or the hook and its answer) into it; it is kept
 * through Failed and removed when a new run starts.
 */
export const ANALYSIS_CONDITION = 'Analysis';

export type AnalysisReason =
  | 'MetricCheckFailed'
  | 'WebhookCheckFailed'
  | 'PreRolloutCheckFailed'
  | 'ConfirmRolloutCheckFailed'
  | 'ConfirmTrafficIncreaseCheckFailed'
  | 'ConfirmPromotionCheckFailed'
  | 'RollbackWebhook'
  | 'ManualAbort'
  | 'FastRollback'
  | 'ReleaseFailed'
  | 'ProgressDeadlineExceeded';

type GateType = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion';

const GATE_REASON: Record<GateType, AnalysisReason> = {
  'confirm-rollout': 'ConfirmRolloutCheckFailed',
  'confirm-traffic-increase': 'ConfirmTrafficIncreaseCheckFailed',
  'confirm-promotion': 'ConfirmPromotionCheckFailed',
};

/** a confirm-* hook holds the canary: its name and answer in the `Analysis` condition */
export function gateHeld(t: Tick, type: GateType, hook: string, answer: string | undefined): void {
  setAnalysisCondition(t, GATE_REASON[type], `${type} hook ${hook} did not approve${answer ? `: ${answer}` : ''}`);
}

/** the gate opened: the condition it wrote no longer holds */
export function gatePassed(t: Tick, type: GateType): void {
  const c = t.status.conditions?.find((x) => x.type === ANALYSIS_CONDITION);
  if (c?.reason === GATE_REASON[type]) clearAnalysisCondition(t);
}

/** the current `Analysis` condition's reason and message */
export function analysisCondition(t: Tick): { reason?: string; message?: string } | undefined {
  return t.status.conditions?.find((x) => x.type === ANALYSIS_CONDITION);
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** `metric request-success-rate: value 42.50 below the minimum 99` */
export function describeMetricFailure(r: MetricCheckResult): string {
  const head = `metric ${r.metric}`;
  if (r.explanation !== undefined) return `${head}: ${r.explanation}`;
  if (r.noData || r.value === undefined) return `${head}: no values found${r.message ? ` (${r.message})` : ''}`;
  const { min, max } = r.threshold;
  if (min !== undefined && r.value < min) return `${head}: value ${num(r.value)} below the minimum ${num(min)}`;
  if (max !== undefined && r.value > max) return `${head}: value ${num(r.value)} above the maximum ${num(max)}`;
  return `${head}: value ${num(r.value)}: ${r.message ?? 'check failed'}`;
}

/** set (or replace) the `Analysis` condition, status False */
export function setAnalysisCondition(t: Tick, reason: AnalysisReason | string, message: string): void {
  const stamp = t.now.toISOString();
  const prev = t.status.conditions?.find((c) => c.type === ANALYSIS_CONDITION);
  const next: CanaryCondition = {
    type: ANALYSIS_CONDITION,
    status: 'False',
    reason,
    message,
    lastUpdateTime: stamp,
    lastTransitionTime: prev?.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : stamp,
  };
  t.status = {
    ...t.status,
    conditions: [...(t.status.conditions ?? []).filter((c) => c.type !== ANALYSIS_CONDITION), next],
  };
}

/** a new run starts: forget the last run's failure */
export function clearAnalysisCondition(t: Tick): void {
  const conditions = t.status.conditions;
  if (!conditions?.some((c) => c.type === ANALYSIS_CONDITION)) return;
  t.status = { ...t.status, conditions: conditions.filter((c) => c.type !== ANALYSIS_CONDITION) };
}

/** a check failed this tick: count it and record why (the failure checks.ts noted, with the count) */
export function countFailedCheck(t: Tick, threshold: number): void {
  const failed = t.status.failedChecks + 1;
  t.setFields({ failedChecks: failed });
  const f = t.failure ?? { reason: 'WebhookCheckFailed', message: 'check failed' };
  setAnalysisCondition(t, f.reason, `${f.message} (failed checks ${failed}/${threshold})`);
}
