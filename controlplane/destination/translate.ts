import {
  endpointsKey,
  type MeshEndpoint,
  type MeshSnapshot,
  type ServicePortEndpoints,
} from '../../engine/mesh/snapshot.js';
import type { GRPCRoute, HTTPRoute, KubeObject, Service, ServicePort } from '../../engine/resources/index.js';
import { parentRefSelects, routeNamespace } from '../../engine/routing/attach.js';
import { toTcpAddress } from '../../proto/address.js';
import type { ServiceAuthority } from '../../proto/authority.js';
import type { ProtocolHint } from '../../proto/generated/weir/destination/v1/ProtocolHint.js';
import type { Resource } from '../../proto/generated/weir/destination/v1/Resource.js';
import type { RoutePolicy } from '../../proto/generated/weir/destination/v1/RoutePolicy.js';
import type { WeightedAddr } from '../../proto/generated/weir/destination/v1/WeightedAddr.js';

/** Linkerd's weight for every endpoint (`endpoint_translator.go`) */
export const DEFAULT_WEIGHT = 10_000;

/** One Service port of a snapshot, found by its authority. */
export interface ServicePortView {
  service: Service;
  port: ServicePort;
  endpoints: ServicePortEndpoints | undefined;
}

export function findServicePort(snapshot: MeshSnapshot, a: ServiceAuthority): ServicePortView | undefined {
  const service = snapshot.services.find(
    (s) => s.metadata.name === a.service && (s.metadata.namespace ?? 'default') === a.namespace,
  );
  const port = service?.spec.ports.find((p) => p.port === a.port);
  if (service === undefined || port === undefined) return undefined;
  const key = endpointsKey(a.namespace, a.service, a.port);
  const endpoints = snapshot.endpoints.find((e) => endpointsKey(e.namespace, e.service, e.port) === key);
  return { service, port, endpoints };
}

/** `kubernetes.io/h2c` and `grpc` speak HTTP/2; `tcp` and `linkerd.io/opaque` are not HTTP */
export function protocolHint(appProtocol: string | undefined): ProtocolHint | undefined {
  switch (appProtocol?.toLowerCase()) {
    case 'kubernetes.io/h2c':
    case 'grpc':
    case 'http2':
      return { h2: {} };
    case 'tcp':
    case 'linkerd.io/opaque':
      return { opaque: {} };
    default:
      return undefined;
  }
}

/** `ip:port` of an endpoint, the key of the endpoint set */
export function addressKey(e: Pick<MeshEndpoint, 'address' | 'port'>): string {
  return `${e.address}:${e.port}`;
}

/**
 * The endpoint set of a Service port, as Linkerd's endpoint translator makes it: the ready endpoints
 * only, each with its weight, labels, TLS identity and the port's protocol hint.
 */
export function weightedAddrs(view: ServicePortView): Map<string, WeightedAddr> {
  const out = new Map<string, WeightedAddr>();
  const hint = protocolHint(view.port.appProtocol);
  for (const e of view.endpoints?.endpoints ?? []) {
    if (!e.ready) continue;
    const labels: Record<string, string> = {};
    if (e.pod !== undefined) labels.pod = e.pod;
    if (e.namespace !== undefined) labels.namespace = e.namespace;
    if (e.deployment !== undefined) labels.deployment = e.deployment;
    const addr: WeightedAddr = { addr: toTcpAddress(e.address, e.port), weight: DEFAULT_WEIGHT, metricLabels: labels };
    if (e.identity !== undefined) addr.tlsIdentity = { dnsLikeIdentity: { name: e.identity } };
    if (hint !== undefined) addr.protocolHint = hint;
    out.set(addressKey(e), addr);
  }
  return out;
}

/** the labels of the whole set: which Service port it is */
export function setLabels(view: ServicePortView): Record<string, string> {
  const labels: Record<string, string> = {
    namespace: view.service.metadata.namespace ?? 'default',
    service: view.service.metadata.name,
    port: String(view.port.port),
  };
  if (view.port.name !== undefined) labels.port_name = view.port.name;
  return labels;
}

/** what changed between two endpoint sets: added or changed addresses, and removed ones */
export function diffAddrs(
  before: ReadonlyMap<string, WeightedAddr>,
  after: ReadonlyMap<string, WeightedAddr>,
): { add: WeightedAddr[]; remove: string[] } {
  const add: WeightedAddr[] = [];
  const remove: string[] = [];
  for (const [key, addr] of after) {
    const old = before.get(key);
    if (old === undefined || JSON.stringify(old) !== JSON.stringify(addr)) add.push(addr);
  }
  for (const key of before.keys()) if (!after.has(key)) remove.push(key);
  return { add, remove };
}

export function resourceMessage(o: KubeObject): Resource {
  return {
    kind: o.kind,
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name,
    json: Buffer.from(JSON.stringify(o)),
  };
}

/**
 * The routes attached to a Service port (parentRefs naming it, in any namespace: the client applies
 * GAMMA's producer/consumer rule for its own namespace), as the resources the mesh holds.
 */
export function routePolicy(snapshot: MeshSnapshot, view: ServicePortView): RoutePolicy {
  const parent = {
    namespace: view.service.metadata.namespace ?? 'default',
    service: view.service.metadata.name,
    port: view.port.port,
    portName: view.port.name,
  };
  const attached = <R extends HTTPRoute | GRPCRoute>(routes: readonly R[]): R[] =>
    routes.filter((r) =>
      (r.spec.parentRefs ?? []).some((ref) => parentRefSelects(ref, routeNamespace(r as HTTPRoute), parent)),
    );
  return {
    httpRoutes: attached(snapshot.httpRoutes).map(resourceMessage),
    grpcRoutes: attached(snapshot.grpcRoutes ?? []).map(resourceMessage),
  };
}

/** a stable text of a route policy, to send it again only when it changed */
export function routePolicyKey(p: RoutePolicy): string {
  const text = (rs: Resource[] | undefined) =>
    (rs ?? []).map((r) => Buffer.from(r.json as Buffer).toString()).join('\n');
  return `${text(p.httpRoutes)}\0${text(p.grpcRoutes)}`;
}
