import type { Dispatcher } from 'undici';
import type { MeshEndpoint, ServicePortEndpoints } from '../engine/mesh/snapshot.js';
import type {
  BackendTarget,
  CompiledRule,
  RoutableRequest,
  RoutingTable,
  ServicePortRoutes,
} from '../engine/routing/index.js';
import type { Balancer } from './balance/balancer.js';
import type { Outcome } from './balance/breaker.js';
import type { EndpointQueue } from './balance/queue.js';
import type { H2Client } from './h2/client.js';
import type { Series } from './metrics.js';
import type { RuleMetrics } from './route-metrics.js';

/**
 * What the proxy routes to, declared once for every protocol (linkerd2-proxy's targets: a listener's
 * logical Service, its concrete backends, their endpoints). The protocol of a request is not part of
 * them: an endpoint carries both its HTTP/1.1 pool and, once used, its HTTP/2 client.
 */

/**
 * Balancer feedback, called once per forwarded request as soon as its outcome is known: at the response
 * headers (`rttMs` from dispatch to headers, failed = 5xx), at the trailers for gRPC, or at an error
 * before them (failed = true; `undefined` when the client went away first). See `Balancer.release`.
 */
export interface ForwardObserver {
  done(rttMs: number, failed: Outcome, overloadMs?: number): void;
}

/** One address of a backend: a sidecar's inbound listener, or an address Weir does not run. */
export interface Endpoint extends ForwardObserver {
  endpoint: MeshEndpoint;
  /**
   * the identity its connections are mutual TLS to (the endpoint's, when the proxy has its own), for
   * every protocol; `undefined`: plaintext
   */
  readonly serverId: string | undefined;
  /** keep-alive HTTP/1.1 connections (undici Pool) */
  readonly pool: Dispatcher;
  /** pooled HTTP/2 sessions, made on the endpoint's first h2c or gRPC stream */
  h2: H2Client | undefined;
  /** golden metrics of the requests sent to it */
  readonly series: Series;
  /**
   * The balancer's feedback (`Balancer.release`), once per pick: rtt from dispatch to the outcome,
   * failed or not (`undefined`: unknown, the client went away first).
   */
  done(rttMs: number, failed: Outcome, overloadMs?: number): void;
}

/** A backend Service port of a listener: its balancer over the ready endpoints, and its wait queue. */
export interface Backend {
  readonly target: BackendTarget;
  readonly balancer: Balancer<Endpoint>;
  /** requests waiting for an endpoint; carried over to the next snapshot's backend of the same target */
  readonly queue: EndpointQueue<Endpoint>;
  /** for answers given without an endpoint (503, 500) */
  readonly series: Series;
  /** by `address:port`, so that the next snapshot reuses them (and the balancer keeps their state) */
  readonly routes: Map<string, Endpoint>;
  readonly endpoints: ServicePortEndpoints | undefined;
}

/** Everything one outbound listener (a Service port) routes with; replaced as a whole on every snapshot. */
export interface ListenerState {
  readonly table: RoutingTable;
  /** the GRPCRoute table and the Service itself (opaque TCP); `targets` follows `routes.targets` */
  readonly routes: ServicePortRoutes;
  /** indexed by `BackendTarget.index` */
  readonly targets: readonly Backend[];
  /** for answers without a backend (no route) */
  readonly series: Series;
  /** per-route and per-backend metrics of every rule (HTTPRoute and GRPCRoute), interned per snapshot */
  readonly ruleMetrics: ReadonlyMap<CompiledRule, RuleMetrics>;
}

/** The request's rule: by the GRPCRoutes for gRPC when any is attached, else by the HTTPRoutes. */
export function routeOf(st: ListenerState, req: RoutableRequest, grpc: boolean): CompiledRule | undefined {
  const g = grpc ? st.routes.grpc : undefined;
  return g !== undefined ? g.route(req) : st.table.route(req);
}
