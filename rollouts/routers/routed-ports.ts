import type { Canary } from '../../engine/resources/index.js';
import { apexServiceName } from '../targets/objects.js';

/** the route kind a port is split with */
export type RouteKind = 'HTTPRoute' | 'GRPCRoute';

/** One Service port of a canary and the route that splits its traffic between primary and canary. */
export interface RoutedPort {
  /** the Service port number (parentRef and backendRef port) */
  port: number;
  /** the route's name: the apex Service's for the main port, `<apex>-<port name>` for the others */
  routeName: string;
  kind: RouteKind;
  /** true for `service.port`: the weights are read back from its route */
  main: boolean;
}

/** `appProtocol: grpc` (the Gateway API's and Linkerd's protocol hint) is split with a GRPCRoute */
function kindOf(appProtocol: string | undefined): RouteKind {
  return appProtocol === 'grpc' ? 'GRPCRoute' : 'HTTPRoute';
}

/**
 * The ports a canary's traffic is split on. Flagger's Gateway API router splits `service.port` only, with an
 * HTTPRoute named after the apex Service; Weir does the same, with a GRPCRoute when `service.appProtocol` is
 * `grpc` (Flagger #1935). With `service.ports` (Flagger's open PR #1809, for #1543: a Service with an HTTP and
 * a gRPC port) every listed port gets a route of its own, all moved together; `service.port` must be one of
 * them and keeps the apex's name. Ports found by `portDiscovery` are carried by the Services but not split,
 * as in Flagger's Gateway API router.
 */
export function routedPorts(canary: Canary): RoutedPort[] {
  const svc = canary.spec.service;
  const apex = apexServiceName(canary);
  if (svc.ports === undefined) {
    return [{ port: svc.port, routeName: apex, kind: kindOf(svc.appProtocol), main: true }];
  }
  return svc.ports.map((p) => {
    const main = p.port === svc.port;
    return { port: p.port, routeName: main ? apex : `${apex}-${p.name}`, kind: kindOf(p.appProtocol), main };
  });
}

/** the port whose route holds the weights */
export function mainPort(canary: Canary): RoutedPort {
  const ports = routedPorts(canary);
  return ports.find((p) => p.main) ?? ports[0]!;
}

/** the names a port's route works with: the apex Service, the route, the generated Services, the port */
export interface RouteNames {
  apex: string;
  route: string;
  primary: string;
  canary: string;
  port: number;
}

export function routeNames(canary: Canary, routed: RoutedPort): RouteNames {
  const apex = apexServiceName(canary);
  return { apex, route: routed.routeName, primary: `${apex}-primary`, canary: `${apex}-canary`, port: routed.port };
}
