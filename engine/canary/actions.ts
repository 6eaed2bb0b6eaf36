import type { CanaryPhase } from '../resources/index.js';
import type { SessionCookies } from './session.js';

/**
 * What the pure scheduler asks the controller to do, in order. The controller maps each action onto a
 * `TargetAdapter` (workloads, Services) or a `Router` (the HTTPRoute).
 */
export type Action =
  /** create or update `<svc>-primary` and `<svc>-canary` (Flagger `kubeRouter.Initialize`) */
  | { type: 'reconcileServices' }
  /**
   * point the apex Service at the primary's pods, creating it when the user has none (Flagger
   * `kubeRouter.Reconcile`); asked once the primary exists and, while initializing, is ready
   */
  | { type: 'reconcileApexService' }
  /** create `<target>-primary` from the target when it is missing (Flagger `Initialize`) */
  | { type: 'createPrimary' }
  /**
   * `autoscalerRef`: create the `-primary` copy of the autoscaler, pointed at the primary (Flagger
   * `ReconcilePrimaryScaler`); `init` false (at promotion) also brings it to the target autoscaler's spec
   */
  | { type: 'reconcilePrimaryScaler'; init: boolean }
  /** create or adopt the route (HTTPRoute); a new route starts 100/0, an existing one keeps its weights */
  | { type: 'reconcileRoute' }
  /** set the target (canary) workload's replicas: 0 to scale down, n to scale up from zero */
  | { type: 'scaleTarget'; replicas: number }
  /**
   * set the route weights (primary + canary = 100); `mirrored` copies the primary's requests to the canary;
   * `cookies` (only with `analysis.sessionAffinity`) are the session-affinity cookies the route must honour
   */
  | { type: 'setRoutes'; primary: number; canary: number; mirrored?: boolean; cookies?: SessionCookies }
  /** copy the target's pod template (and replicas, strategy, ...) to the primary (Flagger `Promote`) */
  | { type: 'promote' }
  /**
   * hooks whose answer decides nothing, run after the other actions: `post-rollout` with the phase the
   * rollout ended in (their failures are only reported as events)
   */
  | { type: 'runHooks'; hookType: 'post-rollout'; phase: CanaryPhase };

export type ActionType = Action['type'];
