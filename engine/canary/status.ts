import type { CanaryAnalysis, CanaryCondition, CanaryPhase, CanaryStatus } from '../resources/index.js';

export const PROMOTED_CONDITION = 'Promoted';

/** A status with Flagger's defaults filled in (`failedChecks`, `canaryWeight`, `iterations` = 0). */
export function normalizeStatus(status: CanaryStatus | undefined): CanaryStatus {
  return {
    ...structuredCloneStatus(status),
    failedChecks: status?.failedChecks ?? 0,
    canaryWeight: status?.canaryWeight ?? 0,
    iterations: status?.iterations ?? 0,
  };
}

function structuredCloneStatus(status: CanaryStatus | undefined): CanaryStatus {
  return status === undefined ? ({} as CanaryStatus) : (JSON.parse(JSON.stringify(status)) as CanaryStatus);
}

/**
 * The `Promoted` condition for a phase (`pkg/canary/status.go getStatusConditionsMessage`, reference 2).
 * `kind` is the target kind ("Deployment").
 */
export function promotedCondition(
  phase: CanaryPhase,
  kind: string,
): { status: 'True' | 'False' | 'Unknown'; message: string } | undefined {
  switch (phase) {
    case 'Initializing':
      return { status: 'Unknown', message: `New ${kind} detected, starting initialization.` };
    case 'Initialized':
      return { status: 'True', message: `${kind} initialization completed.` };
    case 'Waiting':
      return { status: 'Unknown', message: 'Waiting for approval.' };
    case 'Progressing':
      return { status: 'Unknown', message: 'New revision detected, progressing canary analysis.' };
    case 'WaitingPromotion':
      return { status: 'Unknown', message: 'Waiting for approval.' };
    case 'Promoting':
      return { status: 'Unknown', message: 'Canary analysis completed, starting primary rolling update.' };
    case 'Finalising':
      return { status: 'Unknown', message: 'Canary analysis completed, routing all traffic to primary.' };
    case 'Succeeded':
      return { status: 'True', message: 'Canary analysis completed successfully, promotion finished.' };
    case 'Failed':
      return { status: 'False', message: `Canary analysis failed, ${kind} scaled to zero.` };
    default:
      return undefined;
  }
}

/** Flagger `MakeStatusConditions`: one `Promoted` condition; lastTransitionTime moves only when status changes. */
export function makeConditions(
  current: CanaryCondition[] | undefined,
  phase: CanaryPhase,
  kind: string,
  now: Date,
): CanaryCondition[] | undefined {
  const c = promotedCondition(phase, kind);
  if (!c) return current;
  const stamp = now.toISOString();
  const prev = current?.find((x) => x.type === PROMOTED_CONDITION);
  if (prev && prev.status === c.status && prev.reason === phase && prev.message === c.message) return current;
  const next: CanaryCondition = {
    type: PROMOTED_CONDITION,
    status: c.status,
    reason: phase,
    message: c.message,
    lastUpdateTime: stamp,
    lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : stamp,
  };
  return [next, ...(current ?? []).filter((x) => x.type !== PROMOTED_CONDITION)];
}

/**
 * Flagger `setStatusPhase` side effects:
 * - any phase but Progressing, Waiting and Promoting resets `canaryWeight` and `iterations` to 0;
 * - WaitingPromotion sets `iterations = analysis.iterations - 1` (only when iterations are used);
 * - Initialized and Succeeded copy `lastAppliedSpec` to `lastPromotedSpec`;
 * - the `Promoted` condition follows the phase.
 *
 * Weir difference: in WaitingPromotion `canaryWeight` keeps the weight the route really sends to the
 * canary (Flagger shows 0 there) and `iterations` is not set to -1 for the canary strategy.
 */
export function applyPhase(
  status: CanaryStatus,
  phase: CanaryPhase,
  ctx: { analysis: CanaryAnalysis | undefined; kind: string; now: Date },
): CanaryStatus {
  const next: CanaryStatus = { ...status, phase, lastTransitionTime: ctx.now.toISOString() };
  if (phase !== 'Progressing' && phase !== 'Waiting' && phase !== 'Promoting' && phase !== 'WaitingPromotion') {
    next.canaryWeight = 0;
    next.iterations = 0;
  }
  if (phase === 'WaitingPromotion' && (ctx.analysis?.iterations ?? 0) > 0) {
    next.iterations = (ctx.analysis?.iterations ?? 0) - 1;
  }
  if ((phase === 'Initialized' || phase === 'Succeeded') && status.lastAppliedSpec !== undefined) {
    next.lastPromotedSpec = status.lastAppliedSpec;
  }
  const conditions = makeConditions(status.conditions, phase, ctx.kind, ctx.now);
  if (conditions) next.conditions = conditions;
  return next;
}
