import type { Tick } from './context.js';
import { alertMessages, messages } from './events.js';

/** `analysis.threshold`, Flagger default 1 when <= 0 (`GetAnalysisThreshold`). */
export function analysisThreshold(t: Tick): number {
  const n = t.analysis?.threshold ?? 0;
  return n > 0 ? n : 1;
}

/**
 * Flagger `rollback`: all traffic to the primary, canary scaled to zero, phase Failed with the counters
 * reset and `lastAppliedSpec` = the failed revision (so it is not retried until the template changes).
 * The primary is never touched.
 */
export function rollback(t: Tick): void {
  if (t.status.failedChecks >= analysisThreshold(t)) {
    t.warn(messages.thresholdReached(t.names, t.status.failedChecks));
    t.alert('error', alertMessages.thresholdReached(t.status.failedChecks));
  }
  t.setRoutes(100, 0);
  t.warn(messages.canaryFailed(t.names));
  t.act({ type: 'scaleTarget', replicas: 0 });
  t.sync('Failed');
  t.act({ type: 'runHooks', hookType: 'post-rollout', phase: 'Failed' });
}

/**
 * Flagger `handleFailedPromotion` (#1898): the primary broke while Promoting/Finalising. The canary holds
 * the promoted revision and is still running, so all traffic goes to it; phase Failed, weight 100.
 */
export function failedPromotion(t: Tick, reason: string): void {
  t.warn(messages.promotionFailed(t.names, reason));
  t.alert('error', alertMessages.promotionFailed(reason));
  t.setRoutes(0, 100);
  t.setPhase('Failed');
  t.setFields({ canaryWeight: 100 });
  t.act({ type: 'runHooks', hookType: 'post-rollout', phase: 'Failed' });
}
