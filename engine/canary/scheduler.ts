import type { CanaryPhase } from '../resources/index.js';
import {
  analysisCondition,
  clearAnalysisCondition,
  countFailedCheck,
  gateHeld,
  setAnalysisCondition,
} from './conditions.js';
import { configsChanged } from './configs.js';
import { NeedSignal, Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { fastRollbackSignalled } from './fast-rollback.js';
import { runManualRequest } from './manual.js';
import { runAnalysis, runPreRolloutHooks } from './checks.js';
import { finalise, runPromotionTrafficShift, skipAnalysis } from './promotion.js';
import { analysisThreshold, failedPromotion, rollback } from './rollback.js';
import { runAB, runBlueGreen, runCanary } from './strategies.js';
import { strategyOf } from './strategy-kind.js';
import type { AdvanceInput, AdvanceResult, PodFailure } from './types.js';

/**
 * One tick of Flagger's scheduler (`advanceCanary`, reference 3.2) as a pure function: the Canary (spec and
 * status), what the controller observed (workloads, route weights, metrics, hook answers) and the time in;
 * the next status, the actions to apply in order and the events to record out.
 *
 * When the tick reaches a point that needs metrics or hook answers it does not have, the result is a
 * `need`; the controller fulfils it and calls again with the same input plus the answer.
 */
export function advance(input: AdvanceInput): AdvanceResult {
  const t = new Tick(input);
  try {
    runTick(t);
  } catch (err) {
    if (err instanceof NeedSignal) return { kind: 'need', need: err.need };
    throw err;
  }
  return {
    kind: 'done',
    status: t.status,
    actions: t.actions,
    events: t.events,
    alerts: t.alerts,
    ...(t.stepped ? { stepped: true as const } : {}),
  };
}

const activePhases: ReadonlySet<CanaryPhase> = new Set([
  'Progressing',
  'Waiting',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
]);

function runTick(t: Tick): void {
  // 1. suspended: nothing moves, traffic untouched
  if (t.canary.spec.suspend) {
    t.info(messages.suspended());
    return;
  }
  if (t.phase === 'Terminating' || t.phase === 'Terminated') return;
  // 2. the target must exist
  if (!t.input.target.exists) {
    t.warn(messages.targetNotFound(t.kind, t.names, t.input.target.error ?? 'not found'));
    return;
  }
  if (t.phase === undefined) t.setPhase('Initializing');
  // 3-10. services, primary, route; Initialized
  if (!initialize(t)) return;
  // Weir: a manual promote/abort/retry request (manual.ts), handled once
  if (runManualRequest(t)) return;
  // Weir: another member of the canary's release failed (release.ts)
  if (releaseRollback(t)) return;
  // 11. anything to do?
  if (!shouldAdvance(t)) return;
  const skip = shouldSkipAnalysis(t);
  // 12. the primary must be ready
  if (!skip) {
    const r = t.input.primary.readiness;
    if (!r.ready) {
      t.warn(r.message);
      if (!r.retriable) {
        if (t.phase === 'Promoting' || t.phase === 'Finalising') failedPromotion(t, r.message);
        else rollback(t);
      }
      return;
    }
  }
  // Weir difference: rollback hooks are asked in Waiting too (Flagger never reaches step 18 there, #1432), so a
  // revision held at a closed confirm-rollout gate can be rejected
  if (t.phase === 'Waiting' && rollbackSignalled(t)) return;
  // 14. a new revision (or Waiting): confirm-rollout, scale up, Progressing
  if (!checkCanaryStatus(t)) return;
  // 15. a newer revision mid-analysis restarts it
  if (revisionChanged(t)) return;
  // 16. the canary must be ready; retriable = stall without a failed check
  let canaryReady = t.input.target.readiness;
  if (!canaryReady.ready && canaryReady.retriable && stalledPastDeadline(t)) {
    canaryReady = { ...canaryReady, retriable: false };
  }
  if (!canaryReady.ready && canaryReady.retriable) {
    t.warn(canaryReady.message);
    if (canaryReady.pod) podCannotStart(t, canaryReady.pod);
    return;
  }
  const deadlineExceeded = !canaryReady.ready;
  // 17. skip analysis
  if (skip) {
    if (deadlineExceeded || t.status.failedChecks >= analysisThreshold(t)) rollback(t);
    else step(t, () => skipAnalysis(t));
    return;
  }
  // Weir: a breach the fast-rollback watcher found between ticks (fast-rollback.ts), before any hook is asked
  if (fastRollbackSignalled(t)) return;
  // 18. rollback hooks ("roll back now" when one answers OK)
  if ((t.phase === 'Progressing' || t.phase === 'WaitingPromotion') && rollbackSignalled(t)) return;
  // 19. Promoting: shift traffic back to the primary
  if (t.phase === 'Promoting') {
    if (t.canary.spec.autoscalerRef !== undefined) t.act({ type: 'reconcilePrimaryScaler', init: false });
    step(t, () => runPromotionTrafficShift(t));
    return;
  }
  // 20. Finalising: scale down, Succeeded
  if (t.phase === 'Finalising') {
    step(t, () => finalise(t));
    return;
  }
  // 21. failed checks threshold or progress deadline
  if (
    (t.phase === 'Progressing' || t.phase === 'WaitingPromotion') &&
    (deadlineExceeded || t.status.failedChecks >= analysisThreshold(t))
  ) {
    if (deadlineExceeded && !canaryReady.ready) {
      t.warn(messages.progressDeadline(t.names, canaryReady.message));
      t.alert('error', alertMessages.progressDeadline(canaryReady.message));
      rollback(t);
      setAnalysisCondition(t, 'ProgressDeadlineExceeded', `progress deadline exceeded: ${canaryReady.message}`);
      return;
    }
    rollback(t);
    return;
  }
  // 22. pre-rollout hooks at weight 0, else rollout hooks and metrics
  const routes = t.routes;
  if (routes.canary === 0 && t.status.iterations === 0 && !(t.analysis?.mirror && routes.mirrored)) {
    t.info(messages.startingAnalysis(t.names));
    if (!runPreRolloutHooks(t)) {
      countFailedCheck(t, analysisThreshold(t));
      return;
    }
  } else if (!runAnalysis(t)) {
    countFailedCheck(t, analysisThreshold(t));
    return;
  }
  // 24-25. one step of the strategy
  step(t, () => {
    switch (strategyOf(t.analysis)) {
      case 'ab-testing':
        runAB(t);
        break;
      case 'blue-green':
        runBlueGreen(t);
        break;
      default:
        runCanary(t);
    }
  });
}

/**
 * Weir (coordinated canaries, release.ts): run one step of the analysis and note whether it moved anything
 * (an action, a new weight or iteration, a phase other than WaitingPromotion: a closed gate is no step). With
 * a `hold` directive a step that moved is undone: the tick ends where it was, with the release's message.
 */
function step(t: Tick, run: () => void): void {
  const before = {
    status: t.status,
    actions: t.actions.length,
    events: t.events.length,
    alerts: t.alerts.length,
  };
  run();
  const s = t.status;
  const moved =
    t.actions.length > before.actions ||
    s.canaryWeight !== before.status.canaryWeight ||
    s.iterations !== before.status.iterations ||
    (s.phase !== before.status.phase && s.phase !== 'WaitingPromotion');
  if (!moved) return;
  t.stepped = true;
  const directive = t.input.release;
  if (directive?.kind !== 'hold') return;
  t.status = before.status;
  t.actions.length = before.actions;
  t.events.length = before.events;
  t.alerts.length = before.alerts;
  if (directive.message !== '') t.info(directive.message);
}

/**
 * Weir (coordinated canaries, release.ts): another member of the release failed. A run that has not reached
 * promotion (Waiting, Progressing, WaitingPromotion), or one that would start in this tick, rolls back with
 * the release's reason; true when the tick ends here.
 */
function releaseRollback(t: Tick): boolean {
  const directive = t.input.release;
  if (directive?.kind !== 'rollback') return false;
  const running = t.phase === 'Waiting' || t.phase === 'Progressing' || t.phase === 'WaitingPromotion';
  const starting =
    !running && (t.phase === undefined || !activePhases.has(t.phase)) && (hasTargetChanged(t) || haveConfigsChanged(t));
  if (!running && !starting) return false;
  t.warn(directive.message);
  t.alert('error', directive.message);
  rollback(t);
  setAnalysisCondition(t, 'ReleaseFailed', directive.message);
  return true;
}

/**
 * Steps 3-10: generated Services, the primary, the apex Service pointed at it (once it is ready), target
 * scaled to zero, the route; phase Initialized.
 */
function initialize(t: Tick): boolean {
  const initializing = t.phase === 'Initializing';
  t.act({ type: 'reconcileServices' });
  if (!t.input.primary.exists) {
    t.act({ type: 'createPrimary' });
    // a new primary is never ready in the tick that creates it
    if (initializing) return false;
  } else if (initializing) {
    const r = t.input.primary.readiness;
    if (!r.ready) {
      t.warn(r.message);
      if (!r.retriable) rollback(t);
      return false;
    }
  }
  // 6. the `-primary` copy of the autoscaler (created; updated only at promotion)
  if (t.canary.spec.autoscalerRef !== undefined) t.act({ type: 'reconcilePrimaryScaler', init: true });
  t.act({ type: 'reconcileApexService' });
  if (initializing) t.act({ type: 'scaleTarget', replicas: 0 });
  t.act({ type: 'reconcileRoute' });
  if (initializing) {
    t.sync('Initialized');
    t.info(messages.initializationDone(t.names));
    t.alert('info', alertMessages.initialized(t.kind), true);
    return false;
  }
  return true;
}

/**
 * Flagger `HasTargetChanged`: no applied spec yet = changed; the promoted spec is never a new revision
 * (reverting the target to what the primary runs triggers nothing); else any difference.
 */
export function hasTargetChanged(t: Tick): boolean {
  const s = t.status;
  if (!s.lastAppliedSpec) return true;
  if (t.hash === s.lastPromotedSpec) return false;
  return t.hash !== s.lastAppliedSpec;
}

/**
 * Flagger `HaveDependenciesChanged` (config tracking, configs.ts): the checksums of the ConfigMaps and Secrets
 * the target references differ from `status.trackedConfigs`. Independent of the template hash, so a config
 * change is a new revision even when the target runs the promoted template.
 */
export function haveConfigsChanged(t: Tick): boolean {
  const configs = t.configs;
  if (configs === undefined) return false;
  return configsChanged(configs, t.status.trackedConfigs);
}

function shouldAdvance(t: Tick): boolean {
  if (t.phase !== undefined && activePhases.has(t.phase)) return true;
  // Weir difference: a Failed canary's lastAppliedSpec is not re-synced here (Flagger does, and can lose
  // a change that arrives while Failed), so the next template change is always seen.
  return hasTargetChanged(t) || haveConfigsChanged(t);
}

/**
 * Weir addition: a canary that stays unready for `progressDeadlineSeconds` since the last status change
 * is treated as Flagger treats a Deployment with `ProgressDeadlineExceeded` (non-retriable), so a stalled
 * canary rolls back even where no Deployment controller writes that condition (the local runtime).
 */
function stalledPastDeadline(t: Tick): boolean {
  if (t.phase !== 'Progressing' && t.phase !== 'WaitingPromotion') return false;
  const since = t.status.lastTransitionTime ? Date.parse(t.status.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return false;
  return t.now.getTime() - since > t.canary.spec.progressDeadlineSeconds * 1000;
}

function shouldSkipAnalysis(t: Tick): boolean {
  return t.canary.spec.skipAnalysis === true || t.analysis === undefined;
}

function scaleFromZeroReplicas(t: Tick): number {
  if (t.input.target.replicas > 0) return t.input.target.replicas;
  if (t.canary.spec.autoscalerRef === undefined && t.input.primary.replicas > 0) return t.input.primary.replicas;
  return 1;
}

/**
 * Weir addition (Flagger #1533, #1816): a canary pod that cannot start (CrashLoopBackOff, CreateContainerConfigError,
 * ImagePullBackOff...) is written to the `Analysis` condition with the pod's own reason, and alerted once per pod
 * and reason (the condition remembers what was alerted); the wait goes on until the progress deadline.
 */
function podCannotStart(t: Tick, pod: PodFailure): void {
  const message = `pod ${pod.pod} ${pod.reason}: ${pod.message}`;
  const prev = analysisCondition(t);
  const again = prev?.reason === pod.reason && prev.message?.startsWith(`pod ${pod.pod} ${pod.reason}:`) === true;
  setAnalysisCondition(t, pod.reason, message);
  if (!again) t.alert('error', alertMessages.podCannotStart(pod.pod, pod.reason, pod.message));
}

/** Step 14 (`checkCanaryStatus`): false when the tick ends here. */
function checkCanaryStatus(t: Tick): boolean {
  if (
    t.phase === 'Progressing' ||
    t.phase === 'WaitingPromotion' ||
    t.phase === 'Promoting' ||
    t.phase === 'Finalising'
  ) {
    return true;
  }
  for (const r of t.hookResults('confirm-rollout')) {
    if (!r.ok) {
      if (t.phase !== 'Waiting') {
        t.setPhase('Waiting');
        t.warn(messages.waitingApproval(t.names, r.name));
        if (!t.muted('confirm-rollout', r.name)) t.alert('warn', alertMessages.waitingApproval());
      }
      gateHeld(t, 'confirm-rollout', r.name, r.message);
      return false;
    }
    t.info(messages.confirmRolloutPassed(r.name));
  }
  t.info(messages.newRevision(t.names));
  t.alert('info', alertMessages.newRevision(), true);
  t.act({ type: 'scaleTarget', replicas: scaleFromZeroReplicas(t) });
  t.sync('Progressing');
  clearAnalysisCondition(t);
  return false;
}

/**
 * Step 15 (`hasCanaryRevisionChanged`): a new template or a changed tracked config while
 * Progressing/WaitingPromotion restarts at 100/0.
 */
function revisionChanged(t: Tick): boolean {
  if (t.phase !== 'Progressing' && t.phase !== 'WaitingPromotion') return false;
  if (!hasTargetChanged(t) && !haveConfigsChanged(t)) return false;
  t.info(messages.restartAnalysis(t.names));
  t.setRoutes(100, 0);
  t.sync('Progressing');
  clearAnalysisCondition(t);
  return true;
}

/** Step 18: the first rollback hook answering OK means "roll back now"; true when the tick ends here. */
function rollbackSignalled(t: Tick): boolean {
  for (const r of t.hookResults('rollback')) {
    if (r.ok) {
      t.warn(messages.manualRollback(t.names));
      t.alert('warn', alertMessages.manualRollback());
      rollback(t);
      setAnalysisCondition(t, 'RollbackWebhook', `rollback hook ${r.name} signalled a rollback`);
      return true;
    }
    t.info(messages.rollbackHookNotSignaling(r.name));
  }
  return false;
}
