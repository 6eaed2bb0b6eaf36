import { gateHeld, gatePassed } from './conditions.js';
import type { Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { promotionShift } from './weights.js';

/**
 * Flagger `runConfirmPromotionHooks`: true when every confirm-promotion hook passed. A closed gate moves
 * the canary to WaitingPromotion (once, with a Warning); analysis keeps running there.
 */
export function confirmPromotion(t: Tick): boolean {
  for (const r of t.hookResults('confirm-promotion')) {
    if (!r.ok) {
      if (t.phase !== 'WaitingPromotion') {
        t.setPhase('WaitingPromotion');
        t.warn(messages.waitingPromotionApproval(t.names, r.name));
        if (!t.muted('confirm-promotion', r.name)) t.alert('warn', alertMessages.waitingPromotionApproval());
      }
      gateHeld(t, 'confirm-promotion', r.name, r.message);
      return false;
    }
    t.info(messages.confirmPromotionPassed(r.name));
  }
  gatePassed(t, 'confirm-promotion');
  return true;
}

/** The analysis is over: copy the canary's template to the primary and enter Promoting. */
export function promote(t: Tick): void {
  t.info(messages.copyingTemplate(t.names));
  t.act({ type: 'promote' });
  t.setPhase('Promoting');
}

/**
 * Flagger `runPromotionTrafficShift` (phase Promoting, primary already ready): all traffic back to the
 * primary at once, or `stepWeightPromotion` per tick; then Finalising.
 */
export function runPromotionTrafficShift(t: Tick): void {
  const step = t.analysis?.stepWeightPromotion ?? 0;
  if (step <= 0) {
    t.info(messages.routingAllToPrimary());
    t.setRoutes(100, 0);
    t.setPhase('Finalising');
    return;
  }
  const routes = t.routes;
  if (routes.canary <= 0) {
    // Flagger does nothing here and would stay Promoting forever; Weir finishes.
    t.setPhase('Finalising');
    return;
  }
  const next = promotionShift(step, routes);
  t.setRoutes(next.primary, next.canary);
  t.setFields({ canaryWeight: next.canary });
  t.info(messages.advancePrimaryWeight(t.names, next.primary));
  if (next.primary >= 100) t.setPhase('Finalising');
}

/** Phase Finalising: scale the canary to zero, Succeeded. */
export function finalise(t: Tick): void {
  t.act({ type: 'scaleTarget', replicas: 0 });
  t.setPhase('Succeeded');
  t.act({ type: 'runHooks', hookType: 'post-rollout', phase: 'Succeeded' });
  t.info(messages.promotionCompleted(t.names));
  t.alert('info', alertMessages.succeeded());
}

/** `spec.skipAnalysis` (or no analysis): promote at once, even mid-analysis. */
export function skipAnalysis(t: Tick): void {
  t.setRoutes(100, 0);
  t.act({ type: 'promote' });
  t.act({ type: 'scaleTarget', replicas: 0 });
  t.setPhase('Succeeded');
  t.info(messages.promotionSkipped(t.names));
  t.alert('info', alertMessages.skipped());
  t.act({ type: 'runHooks', hookType: 'post-rollout', phase: 'Succeeded' });
}
