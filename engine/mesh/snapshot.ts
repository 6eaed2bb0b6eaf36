import type { GRPCRoute, HTTPRoute, Service } from '../resources/index.js';

/** One address that serves a Service port: a sidecar's inbound listener, or an address Weir does not run. */
export interface MeshEndpoint {
  address: string;
  port: number;
  ready: boolean;
  /** for metrics labels and tap, when the endpoint is a Pod Weir knows */
  pod?: string;
  deployment?: string;
  namespace?: string;
  /** the TLS identity the endpoint's sidecar proves (mTLS), e.g. `default.ns.serviceaccount.identity.weir.cluster.local`; absent: plaintext */
  identity?: string;
}

/** The endpoints of one Service port (matched to EndpointSlice ports by name, as Kubernetes does). */
export interface ServicePortEndpoints {
  namespace: string;
  service: string;
  /** the Service's `port` */
  port: number;
  portName?: string;
  endpoints: MeshEndpoint[];
}

/**
 * Everything an outbound proxy needs to route, as one immutable value. Produced by the control plane's
 * discovery (from the store today, from the gRPC API later); consumed by the proxy through a ConfigSource.
 */
export interface MeshSnapshot {
  /** increases with every change */
  version: number;
  services: Service[];
  httpRoutes: HTTPRoute[];
  /** GRPCRoutes (optional: sources that predate them leave it out) */
  grpcRoutes?: GRPCRoute[];
  endpoints: ServicePortEndpoints[];
}

export function endpointsKey(namespace: string, service: string, port: number): string {
  return `${namespace}/${service}:${port}`;
}

/** Where a proxy gets its configuration. A gRPC client of the control plane implements it too. */
export interface ConfigSource {
  current(): MeshSnapshot;
  subscribe(listener: (snapshot: MeshSnapshot) => void): () => void;
}
