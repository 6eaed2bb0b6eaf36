import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { MeshEndpoint } from '../../engine/mesh/snapshot.js';
import type {
  BackendTarget,
  CompiledRule,
  RoutableRequest,
  RoutingTable,
  ServicePortRoutes,
} from '../../engine/routing/index.js';
import type { Waiter } from '../balance/queue.js';
import type { Balancer } from '../balancer.js';
import type { Inflight } from '../drain.js';
import { NO_ENDPOINT, NO_ROUTE } from '../errors.js';
import type { RoutePolicies } from '../exchange.js';
import type { ForwardObserver } from '../forward.js';
import type { H2Client, H2Clients } from '../h2/client.js';
import { serveH2Rule } from '../h2/exchange.js';
import { forwardStream, respondStreamLocally } from '../h2/forward.js';
import { isGrpc } from '../h2/grpc.js';
import type { Series } from '../metrics.js';
import { ERR_UNEXPECTED, localRouteError, type RouteBackendMetrics, type RuleMetrics } from '../route-metrics.js';
import { forwardOpaque } from './opaque.js';
import { forwardUpgrade, refuseUpgrade } from './upgrade.js';

/**
 * The outbound paths other than a plain HTTP/1.1 request (which outbound.ts handles): HTTP/2 streams
 * (gRPC included), HTTP/1.1 upgrades, and opaque TCP. Each stream or upgrade is routed on its own
 * with the listener's compiled tables (for gRPC the GRPCRoutes when any is attached, else the
 * HTTPRoutes), a backend is picked by weight and an endpoint by the backend's balancer: balancing is
 * per request, never per connection. Opaque TCP goes to the Service's own endpoints.
 */

/** An endpoint as these paths use it (outbound.ts's per-endpoint object fits). */
export interface PathEndpoint extends ForwardObserver {
  endpoint: MeshEndpoint;
  series: Series;
  /** the endpoint's HTTP/2 client, made on first use */
  h2?: H2Client | undefined;
}

export interface PathTarget<E extends PathEndpoint> {
  target: BackendTarget;
  balancer: Balancer<E>;
  series: Series;
  /** where a stream waits (bounded) when no endpoint is available now (balance/queue.ts) */
  queue?: { wait(waiter: Waiter<E>): void; cancel(waiter: Waiter<E>): boolean } | undefined;
}

/** What a listener routes with (outbound.ts's listener state fits). */
export interface PathState<E extends PathEndpoint> {
  table: RoutingTable;
  routes: ServicePortRoutes;
  /** indexed by `BackendTarget.index` of `routes.targets` */
  targets: readonly PathTarget<E>[];
  /** for answers without a backend (no route) */
  series: Series;
  /** per-route and per-backend metrics (route-metrics.ts), by rule */
  ruleMetrics?: ReadonlyMap<CompiledRule, RuleMetrics>;
}

interface Picked<E extends PathEndpoint> {
  ep: E | undefined;
  t: PathTarget<E> | undefined;
  status: number;
  reason: string;
  series: Series | undefined;
  /** the rule's route metrics, and those of its backend picked */
  rm: RuleMetrics | undefined;
  rb: RouteBackendMetrics | undefined;
}

/** the scratch a synchronous pick writes into (one per process: no allocation per request) */
const picked: Picked<PathEndpoint> = {
  ep: undefined,
  t: undefined,
  status: 0,
  reason: '',
  series: undefined,
  rm: undefined,
  rb: undefined,
};
const h2req: { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders } = {
  method: undefined,
  url: undefined,
  headers: {},
};

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** the rule serving `req`: by the GRPCRoutes for gRPC when any is attached, else by the HTTPRoutes */
function route<E extends PathEndpoint>(
  st: PathState<E>,
  req: RoutableRequest,
  grpc: boolean,
): CompiledRule | undefined {
  const g = grpc ? st.routes.grpc : undefined;
  return g !== undefined ? g.route(req) : st.table.route(req);
}

/** Pick a backend of `rule` (routed by `route()`) and an endpoint; `picked.status` is 0 when `picked.ep` is set. */
function pick<E extends PathEndpoint>(
  st: PathState<E>,
  req: RoutableRequest,
  rule: CompiledRule | undefined,
): Picked<E> {
  const out = picked as unknown as Picked<E>;
  out.ep = undefined;
  out.t = undefined;
  out.status = 0;
  out.series = st.series;
  out.rm = undefined;
  out.rb = undefined;
  if (rule === undefined) {
    const ref = st.table.parent;
    out.status = NO_ROUTE;
    out.reason = `no route matches ${req.method ?? ''} ${pathOnly(req.url ?? '')} on ${ref.namespace}/${ref.service}:${ref.port}`;
    return out;
  }
  const backend = rule.pick();
  const rm = st.ruleMetrics?.get(rule);
  out.rm = rm;
  if (backend.failStatus !== 0 || backend.target === undefined) {
    if (backend.target !== undefined) out.series = (st.targets[backend.target.index] as PathTarget<E>).series;
    out.status = backend.failStatus;
    out.reason = backend.reason;
    return out;
  }
  const t = st.targets[backend.target.index] as PathTarget<E>;
  out.rb = rm?.backend(backend.target.index);
  out.t = t;
  out.series = t.series;
  const ep = t.balancer.pick();
  if (ep === undefined) {
    out.status = NO_ENDPOINT;
    out.reason = `no ready endpoints for ${t.target.key}`;
    return out;
  }
  out.ep = ep;
  return out;
}

/**
 * An HTTP/2 stream on an outbound listener. A rule with filters, timeouts or retries takes the policy
 * path (`h2/exchange.ts`, given `policies`); every other rule this plain path.
 */
export function outboundStream<E extends PathEndpoint>(
  st: PathState<E>,
  inflight: Inflight,
  clients: H2Clients,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  policies?: RoutePolicies,
): void {
  const start = performance.now();
  inflight.enter();
  const grpc = isGrpc(headers);
  const req = h2req;
  req.method = headers[':method'];
  req.url = headers[':path'];
  req.headers = headers;
  const rule = route(st, req, grpc);
  if (rule !== undefined && !rule.plain && policies !== undefined) {
    req.headers = EMPTY_HEADERS;
    serveH2Rule(policies, st, rule, clients, stream, headers, flags, grpc, start, inflight);
    return;
  }
  const p = pick(st, req, rule);
  req.headers = EMPTY_HEADERS;
  const ep = p.ep;
  const rb = p.rb;
  if (ep !== undefined) {
    send(ep, clients, stream, headers, flags, grpc, start, inflight, rb);
    return;
  }
  const t = p.t;
  if (p.status === NO_ENDPOINT && t?.queue !== undefined) {
    waitForEndpoint(t, clients, stream, headers, flags, grpc, start, inflight, rb);
    return;
  }
  const rm = p.rm;
  respondStreamLocally(stream, p.status, p.reason, grpc, p.series as Series, start, inflight);
  if (rm !== undefined) {
    const ms = performance.now() - start;
    if (rb !== undefined) rb.response(-1, ms, localRouteError(p.status, p.reason));
    else rm.route.request(-1, ms, ERR_UNEXPECTED);
  }
}

function send<E extends PathEndpoint>(
  ep: E,
  clients: H2Clients,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  grpc: boolean,
  start: number,
  inflight: Inflight,
  rb: RouteBackendMetrics | undefined,
): void {
  const client = (ep.h2 ??= clients.get(ep.endpoint.address, ep.endpoint.port));
  ep.series.request();
  forwardStream(client, stream, headers, flags, grpc, ep.series, start, inflight, ep, rb);
}

/** no endpoint available now: wait in the backend's bounded queue (slow path) */
function waitForEndpoint<E extends PathEndpoint>(
  t: PathTarget<E>,
  clients: H2Clients,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  grpc: boolean,
  start: number,
  inflight: Inflight,
  rb: RouteBackendMetrics | undefined,
): void {
  const queue = t.queue as NonNullable<PathTarget<E>['queue']>;
  const gone = () => {
    if (queue.cancel(waiter)) inflight.leave();
  };
  const waiter: Waiter<E> = {
    serve: (ep) => {
      stream.off('close', gone);
      send(ep, clients, stream, headers, flags, grpc, start, inflight, rb);
    },
    fail: (status, reason) => {
      stream.off('close', gone);
      respondStreamLocally(stream, status, reason, grpc, t.series, start, inflight);
      rb?.response(-1, performance.now() - start, localRouteError(status, reason));
    },
  };
  stream.once('close', gone);
  stream.on('error', noop);
  queue.wait(waiter);
}

function noop(): void {}

const EMPTY_HEADERS: IncomingHttpHeaders = {};

/** An HTTP/1.1 Upgrade request (WebSocket) on an outbound listener. */
export function outboundUpgrade<E extends PathEndpoint>(
  st: PathState<E>,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  track: (s: Socket | Duplex) => void,
): void {
  const start = performance.now();
  track(socket);
  if ((req.url ?? '').charCodeAt(0) !== 47) {
    refuseUpgrade(socket, 400, `unsupported request target ${req.url ?? ''}`, st.series, start);
    return;
  }
  const p = pick(st, req, route(st, req, false));
  const ep = p.ep;
  if (ep === undefined) {
    refuseUpgrade(socket, p.status, p.reason, p.series as Series, start);
    return;
  }
  ep.series.request();
  forwardUpgrade(
    req,
    socket,
    head,
    { address: ep.endpoint.address, port: ep.endpoint.port, done: (ms, failed) => ep.done(ms, failed) },
    ep.series,
    start,
    track,
  );
}

/** A connection that is not HTTP, on an outbound listener: to an endpoint of the Service itself. */
export function outboundOpaque<E extends PathEndpoint>(
  st: PathState<E>,
  socket: Socket,
  prefix: Buffer,
  track: (s: Socket) => void,
): void {
  const t = st.targets[st.routes.self.index];
  const ep = t?.balancer.pick();
  forwardOpaque(
    socket,
    prefix,
    ep === undefined
      ? undefined
      : { address: ep.endpoint.address, port: ep.endpoint.port, done: (ms, failed) => ep.done(ms, failed) },
    track,
  );
}
