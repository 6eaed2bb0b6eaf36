import { setAnalysisCondition } from './conditions.js';
import type { Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { rollback } from './rollback.js';

/**
 * Weir's fast rollback (docs/fast-rollback.md): the watcher (rollouts/fast-rollback/) found that the canary's
 * success rate is below the threshold beyond doubt and asked for a tick with the breach in
 * `observations.fastRollback`. Handled like a manual abort with its own reason: the route goes back to
 * 100/0, the canary is scaled down, phase Failed, a Warning event and the `Analysis` condition with reason
 * `FastRollback` carry the counts and the bound, and an `error` alert is sent. Only a Progressing or
 * WaitingPromotion canary of the revision the counts belong to is rolled back. True when the tick ends here.
 */
export function fastRollbackSignalled(t: Tick): boolean {
  const f = t.input.observations.fastRollback;
  if (f === undefined) return false;
  if (t.phase !== 'Progressing' && t.phase !== 'WaitingPromotion') return false;
  if (f.revision !== t.status.lastAppliedSpec) return false;
  const weight = t.routes.canary;
  t.events.push({ type: 'Warning', reason: 'FastRollback', message: messages.fastRollback(t.names, f.reason) });
  t.alert('error', alertMessages.fastRollback(f.reason));
  rollback(t);
  setAnalysisCondition(t, 'FastRollback', `fast rollback at weight ${weight}: ${f.reason}`);
  return true;
}
