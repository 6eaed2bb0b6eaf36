import type { HTTPRoute, ParentReference, Service } from '../resources/index.js';

/** A Service port as a route parent (GAMMA) and as a backend. */
export interface ServicePortRef {
  namespace: string;
  service: string;
  /** the Service's `port` */
  port: number;
  portName?: string | undefined;
  /** where the Service listens when it has its own loopback stand-in for a cluster IP (`spec.clusterIP` in 127/8) */
  address?: string | undefined;
}

/** A Service's `spec.clusterIP` when it is a loopback address a local listener can bind. */
export function loopbackClusterIP(svc: Service): string | undefined {
  const ip = svc.spec.clusterIP;
  return ip !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip) ? ip : undefined;
}

export function isCoreGroup(group: string | undefined): boolean {
  return group === undefined || group === '' || group === 'core';
}

/** Does this parentRef of a route in `routeNamespace` name the Service port? (`port` unset = all ports) */
export function parentRefSelects(ref: ParentReference, routeNamespace: string, parent: ServicePortRef): boolean {
  if (ref.kind !== 'Service' || !isCoreGroup(ref.group)) return false;
  if (ref.name !== parent.service || (ref.namespace ?? routeNamespace) !== parent.namespace) return false;
  if (ref.port !== undefined && ref.port !== parent.port) return false;
  if (ref.sectionName !== undefined && ref.sectionName !== parent.portName) return false;
  return true;
}

export function routeNamespace(route: HTTPRoute): string {
  return route.metadata.namespace ?? 'default';
}

/**
 * The HTTPRoutes that apply to requests a client in `clientNamespace` sends to a Service port, GAMMA
 * style: producer routes (in the Service's namespace) apply to every client; consumer routes (in another
 * namespace) apply only to clients in their own namespace and, when present, replace the producer routes
 * for those clients. Without `clientNamespace` only producer routes apply.
 */
export function routesForServicePort(
  routes: readonly HTTPRoute[],
  parent: ServicePortRef,
  clientNamespace?: string,
): HTTPRoute[] {
  const producer: HTTPRoute[] = [];
  const consumer: HTTPRoute[] = [];
  for (const route of routes) {
    const ns = routeNamespace(route);
    const refs = route.spec.parentRefs ?? [];
    if (!refs.some((ref) => parentRefSelects(ref, ns, parent))) continue;
    if (ns === parent.namespace) producer.push(route);
    else if (clientNamespace !== undefined && ns === clientNamespace) consumer.push(route);
  }
  return consumer.length > 0 ? consumer : producer;
}

/** Every port of every Service, as route parents. */
export function servicePorts(services: readonly Service[]): ServicePortRef[] {
  const out: ServicePortRef[] = [];
  for (const svc of services) {
    for (const p of svc.spec.ports) {
      out.push({
        namespace: svc.metadata.namespace ?? 'default',
        service: svc.metadata.name,
        port: p.port,
        portName: p.name,
        address: loopbackClusterIP(svc),
      });
    }
  }
  return out;
}
