import type { RouteWeights } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';

/**
 * The traffic side of a canary, as Flagger's `router.Interface` (reference 3.14): own the route object,
 * set and read the weights. The route is the source of truth for weights; `status.canaryWeight` only
 * reports them.
 */
export interface Router {
  /** create or adopt the route; a new route starts 100/0, an existing one keeps its weights */
  reconcile(canary: Canary): Promise<void>;
  setRoutes(canary: Canary, weights: RouteWeights): Promise<void>;
  /** undefined when the route does not exist */
  getRoutes(canary: Canary): RouteWeights | undefined;
}
