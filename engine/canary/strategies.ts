import { gateHeld, gatePassed } from './conditions.js';
import type { Tick } from './context.js';
import { alertMessages, messages } from './events.js';
import { confirmPromotion, promote } from './promotion.js';
import { maxWeight, nextCanaryWeight } from './weights.js';

/** confirm-traffic-increase hooks: true when every one passed; a closed gate holds the weight (no failed check). */
function confirmTrafficIncrease(t: Tick): boolean {
  for (const r of t.hookResults('confirm-traffic-increase')) {
    if (!r.ok) {
      t.warn(messages.waitingTrafficApproval(t.names, r.name));
      if (!t.muted('confirm-traffic-increase', r.name)) t.alert('warn', alertMessages.waitingTrafficApproval());
      gateHeld(t, 'confirm-traffic-increase', r.name, r.message);
      return false;
    }
    t.info(messages.confirmTrafficPassed(r.name));
  }
  gatePassed(t, 'confirm-traffic-increase');
  return true;
}

/** Canary strategy (Flagger `runCanary`), one step: advance the weight, or promote at maxWeight. */
export function runCanary(t: Tick): void {
  const analysis = t.analysis;
  if (!analysis) return;
  const routes = t.routes;
  const hasStep = (analysis.stepWeight ?? 0) > 0 || (analysis.stepWeights?.length ?? 0) > 0;
  if (hasStep && !routes.mirrored && t.phase !== 'WaitingPromotion' && t.phase !== 'Promoting') {
    if (!confirmTrafficIncrease(t)) return;
  }
  const max = maxWeight(analysis);
  if (routes.canary < max) {
    // `mirror: true`: one mirrored step (100/0, requests copied to the canary) before the first weight.
    // Weir difference: this works on the HTTPRoute (Flagger's Gateway API router drops the mirror filter
    // unless iterations > 0, so its scheduler repeats the mirrored step forever).
    if (analysis.mirror && routes.canary === 0 && !routes.mirrored) {
      t.setRoutes(100, 0, true);
      t.setFields({ canaryWeight: 0 });
      t.info(messages.advanceCanaryWeight(t.names, 0));
      return;
    }
    const next = nextCanaryWeight(analysis, routes.canary);
    if (next === routes.canary) return;
    t.setRoutes(100 - next, next);
    t.setFields({ canaryWeight: next });
    t.info(messages.advanceCanaryWeight(t.names, next));
    return;
  }
  if (!confirmPromotion(t)) return;
  promote(t);
}

/** Blue/green (Flagger `runBlueGreen`): N iterations on the primary (mirrored if asked), then all traffic to green, then promote. */
export function runBlueGreen(t: Tick): void {
  const n = t.analysis?.iterations ?? 0;
  const done = t.status.iterations;
  if (n > done) {
    if (t.analysis?.mirror && !t.routes.mirrored) t.setRoutes(100, 0, true);
    t.setFields({ iterations: done + 1 });
    t.info(messages.advanceIteration(t.names, done + 1, n));
    return;
  }
  if (!confirmPromotion(t)) return;
  if (n === done) {
    t.info(t.analysis?.mirror ? messages.stopMirroring() : messages.routingAllToCanary());
    t.setRoutes(0, 100);
    t.setFields({ iterations: done + 1 });
    return;
  }
  promote(t);
}

/** A/B testing (Flagger `runAB`): matching requests go to the canary for N iterations, then promote. */
export function runAB(t: Tick): void {
  const n = t.analysis?.iterations ?? 0;
  const done = t.status.iterations;
  if (n > done) {
    t.setRoutes(0, 100);
    t.setFields({ iterations: done + 1 });
    t.info(messages.advanceIteration(t.names, done + 1, n));
    return;
  }
  if (!confirmPromotion(t)) return;
  promote(t);
}
