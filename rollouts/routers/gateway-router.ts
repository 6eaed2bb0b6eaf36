import type { RouteWeights, SessionCookies } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { GatewayGRPCRouteRouter } from './gateway-grpcroute.js';
import { GatewayHTTPRouteRouter } from './gateway-httproute.js';
import type { Router } from './router.js';
import { routedPorts, type RouteKind, type RoutedPort } from './routed-ports.js';

type PortRouter = (store: ResourceStore, portOf: (canary: Canary) => RoutedPort) => Router;

/** one router per route kind */
const routers: Record<RouteKind, PortRouter> = {
  HTTPRoute: (store, portOf) => new GatewayHTTPRouteRouter(store, portOf),
  GRPCRoute: (store, portOf) => new GatewayGRPCRouteRouter(store, portOf),
};

/**
 * The canary's routes on the Gateway API, one per routed port (`routedPorts`): an HTTPRoute, or a GRPCRoute
 * for a `grpc` port. Every route is given the same weights at once; they are read back from the main port's.
 */
export class GatewayRouter implements Router {
  constructor(private readonly store: ResourceStore) {}

  private each(canary: Canary): Array<{ port: RoutedPort; router: Router }> {
    return routedPorts(canary).map((port) => ({
      port,
      router: routers[port.kind](this.store, () => port),
    }));
  }

  async reconcile(canary: Canary, lane?: string): Promise<void> {
    for (const { router } of this.each(canary)) await router.reconcile(canary, lane);
  }

  async setRoutes(canary: Canary, weights: RouteWeights, cookies?: SessionCookies, lane?: string): Promise<void> {
    for (const { router } of this.each(canary)) await router.setRoutes(canary, weights, cookies, lane);
  }

  getRoutes(canary: Canary): RouteWeights | undefined {
    const main = this.each(canary).find((r) => r.port.main);
    return main?.router.getRoutes(canary);
  }

  async finalize(canary: Canary): Promise<void> {
    for (const { router } of this.each(canary)) await router.finalize(canary);
  }
}
