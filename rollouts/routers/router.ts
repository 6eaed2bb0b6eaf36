import type { RouteWeights, SessionCookies } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';

/**
 * The traffic side of a canary, as Flagger's `router.Interface` (reference 3.14): own the route object,
 * set and read the weights. The route is the source of truth for weights; `status.canaryWeight` only
 * reports them.
 */
export interface Router {
  /**
   * create or adopt the route; a new route starts 100/0, an existing one keeps its weights, its mirroring and
   * (from `canary.status`) its session-affinity rules. `lane` (coordinated canaries, engine/canary/release.ts):
   * a first rule sends requests with `weir-lane: <lane>` 100% to the canary; none: no such rule
   */
  reconcile(canary: Canary, lane?: string): Promise<void>;
  /** weights, mirroring, and with `analysis.sessionAffinity` the rules for these cookies; `lane` as in reconcile */
  setRoutes(canary: Canary, weights: RouteWeights, cookies?: SessionCookies, lane?: string): Promise<void>;
  /** undefined when the route does not exist */
  getRoutes(canary: Canary): RouteWeights | undefined;
  /** `revertOnDeletion`: remove the route the controller wrote for this canary (a user's is left alone) */
  finalize(canary: Canary): Promise<void>;
}
