import type { Canary, CanaryPhase } from '../resources/index.js';
import { setAnalysisCondition } from './conditions.js';
import type { Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { promote, skipAnalysis } from './promotion.js';
import { rollback } from './rollback.js';

/**
 * Weir's manual control, kept in the store so that it survives restarts and works the same on a cluster:
 *
 * - promote, abort and retry are one-shot requests in the annotation `weir.dev/action: <verb>@<time>` on the
 *   Canary (`kubectl annotate canary podinfo weir.dev/action=promote@$(date +%s)` works too). The scheduler
 *   handles a request once: it records it in `status.manualAction` (request, result, message, time) in the
 *   same status write as its effect, so a restarted controller neither misses nor repeats it.
 * - pause and resume are Flagger's `spec.suspend` (nothing moves while suspended, traffic stays where it is).
 *
 * Effects, by phase:
 * - promote: Progressing/WaitingPromotion copy the canary to the primary at once (Promoting; the remaining
 *   steps and gates are skipped, the traffic shift back to the primary follows as usual). Waiting (a closed
 *   confirm-rollout gate) promotes as `skipAnalysis` does. Otherwise ignored.
 * - abort: Progressing/Waiting/WaitingPromotion roll back now (Failed; the revision is not retried until its
 *   template changes or a retry is requested). Promoting/Finalising are too late; otherwise ignored.
 * - retry: Failed runs the analysis of the same revision again without touching its template.
 */
export const ACTION_ANNOTATION = 'weir.dev/action';

export const manualActions = ['promote', 'abort', 'retry'] as const;
export type ManualAction = (typeof manualActions)[number];

/** What `status.manualAction` holds once a request was handled. */
export interface ManualActionRecord {
  /** the annotation value handled */
  request: string;
  action: string;
  result: 'Applied' | 'Ignored';
  message: string;
  time: string;
}

export function isManualAction(s: string): s is ManualAction {
  return (manualActions as readonly string[]).includes(s);
}

/** the request on the Canary (the annotation value), if any */
export function manualRequest(canary: Canary): string | undefined {
  const v = canary.metadata.annotations?.[ACTION_ANNOTATION]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** the last request the scheduler handled */
export function handledManualAction(canary: Pick<Canary, 'status'>): ManualActionRecord | undefined {
  const r = (canary.status as { manualAction?: unknown } | undefined)?.manualAction;
  if (!r || typeof r !== 'object' || typeof (r as { request?: unknown }).request !== 'string') return undefined;
  return r as ManualActionRecord;
}

/** a request not handled yet */
export function pendingManualRequest(canary: Canary): string | undefined {
  const req = manualRequest(canary);
  if (req === undefined) return undefined;
  return handledManualAction(canary)?.request === req ? undefined : req;
}

/**
 * The Canary with a new request (for `weir promote|abort|retry` and the API): the annotation is set, the status
 * dropped (so that writing it back cannot overwrite a status the controller wrote meanwhile). `now` makes
 * each request distinct; a request equal to the last handled one gets a later stamp.
 */
export function withManualRequest(canary: Canary, action: ManualAction, now: Date): Canary {
  let stamp = now.getTime();
  const last = handledManualAction(canary)?.request;
  const make = () => `${action}@${new Date(stamp).toISOString()}`;
  while (make() === last || make() === manualRequest(canary)) stamp += 1;
  const { status: _status, ...rest } = canary;
  return {
    ...rest,
    metadata: { ...canary.metadata, annotations: { ...canary.metadata.annotations, [ACTION_ANNOTATION]: make() } },
  } as Canary;
}

/** The Canary paused (`spec.suspend: true`) or resumed, status dropped. */
export function withSuspend(canary: Canary, suspend: boolean): Canary {
  const { status: _status, ...rest } = canary;
  return { ...rest, spec: { ...canary.spec, suspend } } as Canary;
}

const promotable: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Progressing',
  'WaitingPromotion',
]);
const abortable: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Progressing',
  'Waiting',
  'WaitingPromotion',
]);

/**
 * Handle a pending request in the tick. Returns true when the tick ends here (promote, abort), false when
 * it goes on (retry: the same tick starts the new run; an ignored request changes nothing).
 */
export function runManualRequest(t: Tick): boolean {
  const request = pendingManualRequest(t.canary);
  if (request === undefined) return false;
  const action = request.split('@')[0]!.trim();
  const phase = t.phase ?? 'Initializing';
  let ends = false;
  let result: ManualActionRecord['result'] = 'Applied';
  let message = '';
  const ignore = (why: string) => {
    result = 'Ignored';
    message = why;
    t.warn(messages.manualIgnored(t.names, action, why));
  };
  if (action === 'promote') {
    if (promotable.has(t.phase)) {
      message = `promoted at weight ${t.routes.canary}`;
      t.info(messages.manualPromote(t.names));
      t.alert('info', alertMessages.manualPromote());
      promote(t);
      ends = true;
    } else if (t.phase === 'Waiting') {
      message = 'promoted without analysis';
      t.info(messages.manualPromote(t.names));
      t.alert('info', alertMessages.manualPromote());
      // the waiting revision is the one promoted
      t.status = { ...t.status, lastAppliedSpec: t.hash };
      skipAnalysis(t);
      ends = true;
    } else {
      ignore(`nothing to promote in phase ${phase}`);
    }
  } else if (action === 'abort') {
    if (abortable.has(t.phase)) {
      message = `rolled back at weight ${t.routes.canary}`;
      t.warn(messages.manualAbort(t.names));
      t.alert('warn', alertMessages.manualAbort());
      rollback(t);
      setAnalysisCondition(t, 'ManualAbort', `aborted manually (${request})`);
      ends = true;
    } else if (t.phase === 'Promoting' || t.phase === 'Finalising') {
      ignore(`the promotion has already started (phase ${phase})`);
    } else {
      ignore(`no analysis is running (phase ${phase})`);
    }
  } else if (action === 'retry') {
    if (t.phase !== 'Failed') {
      ignore(`only a Failed canary can be retried (phase ${phase})`);
    } else if (t.hash !== '' && t.hash === t.status.lastPromotedSpec && Object.keys(t.configs ?? {}).length === 0) {
      ignore('the target runs the promoted revision');
    } else {
      message = `revision ${t.hash} analysed again`;
      t.info(messages.manualRetry(t.names, t.hash));
      // forget that this revision (template and configs) was applied: the tick sees it as a new revision
      // (Flagger HasTargetChanged / HaveDependenciesChanged)
      const { lastAppliedSpec: _applied, trackedConfigs: _configs, ...rest } = t.status;
      t.status = { ...rest, failedChecks: t.status.failedChecks, canaryWeight: 0, iterations: 0 };
    }
  } else {
    ignore(`unknown action ${JSON.stringify(action)} (want ${manualActions.join(', ')})`);
  }
  const record: ManualActionRecord = { request, action, result, message, time: t.now.toISOString() };
  t.status = { ...t.status, manualAction: record };
  return ends;
}
