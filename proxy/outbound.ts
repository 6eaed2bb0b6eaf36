import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import {
  endpointsKey,
  type ConfigSource,
  type MeshSnapshot,
  type ServicePortEndpoints,
} from '../engine/mesh/snapshot.js';
import {
  compileRoutingTables,
  compileServicePortRoutes,
  ServiceIndex,
  type CompiledRule,
  type RoutingTable,
  type ServicePortRef,
  type ServicePortRoutes,
} from '../engine/routing/index.js';
import { startAdminServer, type AdminServer } from './admin.js';
import { answerLocally } from './answer.js';
import type { BalancerFactory } from './balance/balancer.js';
import { renderBalancerGauges, type BalancedBackend } from './balance/gauges.js';
import { peakEwma } from './balance/peak-ewma.js';
import { EndpointQueue } from './balance/queue.js';
import { drainServer, Inflight, listen } from './drain.js';
import { badRequest } from './errors.js';
import { H2Clients } from './h2/client.js';
import { H2Transport } from './h2/transport.js';
import { EndpointPools } from './http1/pools.js';
import { Http1Transport } from './http1/transport.js';
import { putLaneHttp1, putLaneHttp2 } from './lane.js';
import { GoldenMetrics } from './metrics.js';
import type { MirrorStats } from './mirror.js';
import type { MirrorDiffRecorder } from './mirror-diff/recorder.js';
import { RoutePolicies, type RoutePolicyOptions } from './policies.js';
import { outboundOpaque, outboundUpgrade } from './protocol/outbound-paths.js';
import { FrontServer } from './protocol/listener.js';
import type { FrontLimits } from './protocol/limits.js';
import { RouteMetricsRegistry, type RuleMetrics } from './route-metrics.js';
import { serve } from './serve.js';
import type { TapPeer } from './tap/event.js';
import { TapHub } from './tap/hub.js';
import { openOutboundTap } from './tap/open.js';
import { routeOf, type Backend, type Endpoint, type ListenerState } from './targets.js';
import { connectionKey } from './tls/connection-key.js';
import { NO_LABELS, outboundTlsLabels, type LabelPairs } from './tls/labels.js';
import { loadMeshTls, type MeshTls } from './tls/load.js';
import type { IdentitySource } from './tls/material.js';
import { readHeaderObject, readRawHeader, writeHeaderObject, writeRawHeader } from './tracing/carriers.js';
import { loadTracer } from './tracing/load.js';
import type { TracingConfig } from './tracing/types.js';
import type { RequestContext } from './transport.js';

export interface OutboundProxyOptions {
  configSource: ConfigSource;
  /** address the Service listeners bind (default 127.0.0.1); each Service `port` is a listening port */
  host?: string;
  /** the proxy's own workload: metric labels, and the client namespace for GAMMA consumer routes */
  namespace?: string;
  deployment?: string;
  pod?: string;
  /** the proxy's own workload's pod labels: route rules scoped by source labels (`weir.io/source-labels`) */
  workloadLabels?: Readonly<Record<string, string>>;
  /**
   * coordinated canaries: the pod is a canary of a release; every outbound request carries
   * `weir-lane: <lane>` (lane.ts)
   */
  lane?: string;
  /** admin server (default 127.0.0.1, port 0 = a free port) */
  adminHost?: string;
  adminPort?: number;
  /** a listener that cannot be bound, or another non-fatal problem; default: console.error */
  onError?: (err: Error) => void;
  /** how long to wait for an endpoint's response headers before answering 504 (default: undici's 300 s) */
  responseTimeoutMs?: number;
  /** HTTPRoute filters, retries (budget) and mirrors (exchange.ts); defaults as Linkerd's */
  routePolicy?: RoutePolicyOptions;
  /** how long close() and /shutdown wait for in-flight requests (default 10 s) */
  drainMs?: number;
  /** endpoint choice within a backend (default `peakEwma()`: P2C over peak-EWMA, with failure accrual) */
  balancer?: BalancerFactory;
  /** longest wait for an available endpoint before 503 and fail-fast (default 3 s) */
  failFastMs?: number;
  /** most requests waiting for an endpoint per backend; more get 503 at once (default 100) */
  queueCapacity?: number;
  /** called after /shutdown has closed the proxy */
  onShutdown?: () => void;
  /** distributed tracing: spans of sampled requests exported over OTLP/HTTP (tracing/); default off */
  tracing?: TracingConfig;
  /** protocol detection: how long to wait for a client's first bytes before forwarding it as opaque TCP (default 10 s) */
  detectTimeoutMs?: number;
  /** what a client may send: header sizes, header/request/idle timeouts, HTTP/2 streams (protocol/limits.ts) */
  limits?: Partial<FrontLimits>;
  /** most HTTP/1.1 connections per endpoint (undici Pool `connections`, default 256) */
  poolConnections?: number;
  /**
   * the proxy's own certificate (the sidecar's certificate manager): with it, connections to endpoints
   * that have an `identity` are mutual TLS (tls/); without it, everything stays plaintext
   */
  identity?: IdentitySource;
  /**
   * listen for every Service port on a free port of `host` instead of the Service's own address and port (a
   * pod's sidecar, which many share one machine with: its app reaches them through a forward proxy that
   * maps each Service address to its listener, `ListenerInfo.listenPort`)
   */
  ephemeralPorts?: boolean;
  /** the process's tap (shared with its inbound side); default: one of its own, served on the admin port */
  tap?: TapHub;
}

export interface ListenerInfo {
  namespace: string;
  service: string;
  port: number;
  /** the address bound: the Service's loopback cluster IP, else the proxy's `host` */
  host: string;
  /** the port bound: the Service port, or a free one with `ephemeralPorts` */
  listenPort: number;
}

export interface OutboundProxy {
  readonly adminPort: number;
  readonly metrics: GoldenMetrics;
  readonly tap: TapHub;
  /** RequestMirror copies: sent, dropped (bound reached, no endpoint) and in flight now */
  readonly mirrors: Readonly<MirrorStats>;
  /** comparisons of mirrored answers with the primary's: counters, noise, the last differences */
  readonly mirrorDiffs: MirrorDiffRecorder;
  /** the Service ports currently listened on */
  listeners(): ListenerInfo[];
  /** resolves once the snapshots delivered so far have been applied */
  settled(): Promise<void>;
  /** stop accepting, drain in-flight requests (up to `drainMs`), close every connection and pool */
  close(options?: { drainMs?: number }): Promise<void>;
}

interface Listener {
  key: string;
  ref: ServicePortRef;
  /** the address and port bound */
  bound: { host: string; port: number };
  /** one port for every protocol: HTTP/1.1, h2c, opaque TCP (protocol/listener.ts) */
  server: FrontServer;
  inflight: Inflight;
  state: ListenerState;
}

function listenerKey(ref: ServicePortRef): string {
  return endpointsKey(ref.namespace, ref.service, ref.port);
}

function authority(ref: ServicePortRef): string {
  return `${ref.service}.${ref.namespace}.svc.cluster.local:${ref.port}`;
}

/** Turn an absolute-form request target (`GET http://host/path`) into origin form; false if unusable. */
function originForm(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 47) return true;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:') return false;
    req.url = `${u.pathname}${u.search}`;
    return true;
  } catch {
    return false;
  }
}

/**
 * The outbound side of a sidecar. One listener per Service port of the snapshot; each request is
 * routed by the compiled HTTPRoute table of that port, a backend is picked by weight, an endpoint by
 * the balancer, and the request is forwarded over the endpoint's keep-alive pool.
 */
export async function startOutboundProxy(options: OutboundProxyOptions): Promise<OutboundProxy> {
  const host = options.host ?? '127.0.0.1';
  const onError = options.onError ?? ((err: Error) => console.error(`weir outbound proxy: ${err.message}`));
  const makeBalancer = options.balancer ?? peakEwma();
  const queueOptions = { failFastMs: options.failFastMs, capacity: options.queueCapacity };
  const metrics = new GoldenMetrics();
  const routeMetrics = new RouteMetricsRegistry();
  const policies = new RoutePolicies(options.routePolicy);
  const { namespace, pod, deployment } = options;
  const tap = options.tap ?? new TapHub({ namespace, deployment, pod });
  /** this pod, as the source of a tapped request */
  const self = (): TapPeer => ({
    ...(tls?.contexts.identity !== undefined ? { identity: tls.contexts.identity } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(deployment !== undefined ? { deployment } : {}),
    ...(pod !== undefined ? { pod } : {}),
  });
  const openTap = (ref: ServicePortRef, method: string, authority: string | undefined, path: string, start: number) =>
    openOutboundTap(tap, { method, authority, path }, self(), `${ref.namespace}/${ref.service}:${ref.port}`, start);
  const tracer = await loadTracer(options.tracing, { namespace, pod, deployment });
  const tls: MeshTls | undefined =
    options.identity !== undefined ? await loadMeshTls(options.identity, onError) : undefined;
  const upstreamTls = tls?.upstream;
  const pools = new EndpointPools({
    ...(options.responseTimeoutMs !== undefined ? { responseHeadersTimeoutMs: options.responseTimeoutMs } : {}),
    ...(options.poolConnections !== undefined ? { connections: options.poolConnections } : {}),
    ...(upstreamTls !== undefined ? { tls: upstreamTls } : {}),
  });
  const h2clients = new H2Clients(upstreamTls !== undefined ? { tls: upstreamTls } : {});
  const listeners = new Map<string, Listener>();
  /** listener keys that failed to bind, with the error reported, so each is reported once */
  const bindFailures = new Map<string, string>();
  let applied = -1;
  let closed = false;

  const labels = (
    ref: ServicePortRef,
    t: ServicePortRef,
    ep?: { deployment?: string; pod?: string },
    tlsLabels: LabelPairs = NO_LABELS,
  ) =>
    [
      ['direction', 'outbound'],
      ['namespace', options.namespace],
      ['deployment', options.deployment],
      ['pod', options.pod],
      ['authority', authority(ref)],
      ['dst_namespace', t.namespace],
      ['dst_service', t.service],
      ['dst_deployment', ep?.deployment],
      ['dst_pod', ep?.pod],
      ...tlsLabels,
    ] as const;

  function buildState(
    table: RoutingTable,
    endpoints: Map<string, ServicePortEndpoints>,
    used: Set<string>,
    previous: ListenerState | undefined,
    routes: ServicePortRoutes,
  ): ListenerState {
    const ref = table.parent;
    const targets = routes.targets.map((target): Backend => {
      const prev = previous?.targets.find((p) => p.target.key === target.key);
      const eps = endpoints.get(target.key);
      const ready = (eps?.endpoints ?? []).filter((e) => e.ready);
      const byAddress = new Map<string, Endpoint>();
      const routes = ready.map((endpoint): Endpoint => {
        const address = `${endpoint.address}:${endpoint.port}`;
        // mTLS when the endpoint has an identity and this proxy has its own certificate
        const serverId = upstreamTls?.ready === true ? endpoint.identity : undefined;
        used.add(connectionKey(endpoint.address, endpoint.port, serverId));
        const pool = pools.get(endpoint.address, endpoint.port, serverId);
        const tlsLabels = tls !== undefined ? outboundTlsLabels(serverId, endpoint.identity) : NO_LABELS;
        const series = metrics.series(labels(ref, target, endpoint, tlsLabels));
        const old = prev?.routes.get(address);
        let route: Endpoint;
        if (old !== undefined && old.pool === pool && old.series === series && !byAddress.has(address)) {
          old.endpoint = endpoint;
          route = old;
        } else route = { endpoint, serverId, pool, h2: undefined, series, done: () => undefined };
        byAddress.set(address, route);
        return route;
      });
      const balancer = makeBalancer(routes, prev?.balancer);
      for (const r of routes) r.done = (ms, failed, overload) => balancer.release?.(r, ms, failed, overload);
      let queue = prev?.queue;
      if (queue === undefined) queue = new EndpointQueue(balancer, target.key, queueOptions);
      else queue.replace(balancer);
      return {
        target,
        balancer,
        queue,
        routes: byAddress,
        series: metrics.series(labels(ref, target)),
        endpoints: eps,
      };
    });
    const ruleMetrics = new Map<CompiledRule, RuleMetrics>();
    const n = routes.targets.length;
    for (const r of table.rules) ruleMetrics.set(r, routeMetrics.rule(ref, r, false, n));
    for (const r of routes.grpc?.rules ?? []) ruleMetrics.set(r, routeMetrics.rule(ref, r, true, n));
    return { table, routes, targets, series: metrics.series(labels(ref, ref)), ruleMetrics };
  }

  function handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const inflight = listener.inflight;
    inflight.enter();
    const ctx: RequestContext = { st: listener.state, policies, inflight, start, span: undefined, tap: undefined };
    if (options.lane !== undefined) putLaneHttp1(req, options.lane);
    const ok = originForm(req);
    const tp = new Http1Transport(ctx, req, res);
    if (tap.active) ctx.tap = openTap(listener.ref, tp.method, tp.host, tp.url, start);
    if (tracer.enabled) {
      const headers = tp.upHeaders;
      const info = { direction: 'outbound', method: tp.method, path: tp.url, authority: tp.host } as const;
      ctx.span = tracer.start(headers, readRawHeader, info);
      ctx.span?.inject(headers, writeRawHeader);
    }
    if (!ok) {
      answerLocally(tp, badRequest(`unsupported request target ${req.url ?? ''}`), ctx.st.series);
      return;
    }
    serve(tp, ctx.st.table.route(req));
  }

  function stream(listener: Listener, down: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    const start = performance.now();
    const inflight = listener.inflight;
    inflight.enter();
    const ctx: RequestContext = { st: listener.state, policies, inflight, start, span: undefined, tap: undefined };
    if (options.lane !== undefined) putLaneHttp2(headers, options.lane);
    const tp = new H2Transport(ctx, h2clients, down, headers, flags);
    if (tap.active) ctx.tap = openTap(listener.ref, tp.method, tp.host, tp.url, start);
    if (tracer.enabled) {
      const info = {
        direction: 'outbound',
        method: tp.method,
        path: tp.url,
        authority: tp.host,
        scheme: tp.scheme,
      } as const;
      ctx.span = tracer.start(headers, readHeaderObject, info);
      ctx.span?.inject(headers, writeHeaderObject);
    }
    serve(tp, routeOf(ctx.st, tp, tp.grpc));
  }

  async function open(key: string, ref: ServicePortRef, state: ListenerState): Promise<void> {
    const inflight = new Inflight();
    const bindHost = options.ephemeralPorts === true ? host : (ref.address ?? host);
    const bindPort = options.ephemeralPorts === true ? 0 : ref.port;
    const listener: Listener = {
      key,
      ref,
      bound: { host: bindHost, port: bindPort },
      server: undefined as unknown as FrontServer,
      inflight,
      state,
    };
    const track = (s: Parameters<FrontServer['track']>[0]) => server.track(s);
    const server = new FrontServer({
      request: (req, res) => handle(listener, req, res),
      stream: (down, headers, flags) => stream(listener, down, headers, flags),
      upgrade: (req, socket, head) => outboundUpgrade(listener.state, req, socket, head, track, upstreamTls),
      opaque: (socket, prefix) => outboundOpaque(listener.state, socket, prefix, track, upstreamTls),
      detectTimeoutMs: options.detectTimeoutMs,
      limits: options.limits,
    });
    listener.server = server;
    try {
      listener.bound.port = await listen(server.tcp, bindPort, bindHost);
    } catch (err) {
      const message = `cannot listen on ${bindHost}:${bindPort} for Service ${ref.namespace}/${ref.service}: ${(err as Error).message}`;
      if (bindFailures.get(key) !== message) onError(new Error(message, { cause: err }));
      bindFailures.set(key, message);
      return;
    }
    bindFailures.delete(key);
    if (closed) {
      server.close();
      return;
    }
    listeners.set(key, listener);
  }

  async function apply(snapshot: MeshSnapshot): Promise<void> {
    const tables = compileRoutingTables(snapshot, { namespace: options.namespace, labels: options.workloadLabels });
    const services = new ServiceIndex(snapshot.services);
    const endpoints = new Map<string, ServicePortEndpoints>();
    for (const e of snapshot.endpoints) endpoints.set(endpointsKey(e.namespace, e.service, e.port), e);
    const used = new Set<string>();
    const wanted = new Set<string>();
    routeMetrics.beginSnapshot();
    const opening: Promise<void>[] = [];
    for (const table of tables) {
      const key = listenerKey(table.parent);
      if (wanted.has(key)) continue;
      wanted.add(key);
      const existing = listeners.get(key);
      const routes = compileServicePortRoutes(table, snapshot, options.namespace, services);
      const state = buildState(table, endpoints, used, existing?.state, routes);
      if (existing !== undefined) existing.state = state;
      else opening.push(open(key, table.parent, state));
    }
    for (const [key, l] of listeners) {
      if (wanted.has(key)) continue;
      listeners.delete(key);
      void drainServer(l.server, l.inflight, options.drainMs ?? 10_000);
    }
    for (const key of bindFailures.keys()) if (!wanted.has(key)) bindFailures.delete(key);
    routeMetrics.endSnapshot();
    await Promise.all(opening);
    pools.retain(used);
    h2clients.retain(used);
    applied = snapshot.version;
  }

  // Snapshots are applied one at a time; when several arrive meanwhile only the newest is applied.
  let pending: MeshSnapshot | undefined;
  let running: Promise<void> = Promise.resolve();
  const offer = (snapshot: MeshSnapshot, again = false): Promise<void> => {
    if (closed) return running;
    pending = snapshot;
    running = running.then(async () => {
      const s = pending;
      pending = undefined;
      if (s === undefined || closed || (s.version === applied && !again)) return;
      try {
        await apply(s);
      } catch (err) {
        onError(err as Error);
      }
    });
    return running;
  };

  await offer(options.configSource.current());
  const unsubscribe = options.configSource.subscribe((s) => void offer(s));
  // the first certificate turns meshed endpoints to mTLS: the current snapshot is applied again
  // (renewals change nothing here: new connections take the new certificate by themselves)
  let hadMaterial = upstreamTls?.ready === true;
  tls?.contexts.onChange(() => {
    if (hadMaterial) return;
    hadMaterial = true;
    void offer(options.configSource.current(), true);
  });

  let closing: Promise<void> | undefined;
  let admin: AdminServer | undefined;
  const close = (drainMs = options.drainMs ?? 10_000): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      unsubscribe();
      await running;
      const all = [...listeners.values()];
      listeners.clear();
      for (const l of all) for (const t of l.state.targets) t.queue.close();
      await Promise.all(all.map((l) => drainServer(l.server, l.inflight, drainMs)));
      await pools.destroy();
      h2clients.destroy();
      tls?.contexts.close();
      await admin?.close();
      await tracer.shutdown();
    })();
    return closing;
  };

  function* balanced(): Generator<BalancedBackend> {
    for (const l of listeners.values())
      for (const t of l.state.targets)
        yield {
          parent: l.ref,
          backend: t.target,
          balancer: t.balancer,
          queued: t.queue.length,
          failFast: t.queue.failFast,
        };
  }

  const describe = () => ({
    direction: 'outbound',
    version: applied,
    listeners: [...listeners.values()].map((l) => ({
      host: l.bound.host,
      ...(l.bound.port !== l.ref.port ? { listenPort: l.bound.port } : {}),
      ...l.state.table.describe(),
      ...(l.state.routes.grpc !== undefined ? { grpc: l.state.routes.grpc.describe() } : {}),
      inflight: l.inflight.count,
      backends: l.state.targets.map((t) => ({
        backend: t.target.key,
        endpoints: (t.endpoints?.endpoints ?? []).map((e) => ({
          address: `${e.address}:${e.port}`,
          ready: e.ready,
          ...(e.pod !== undefined ? { pod: e.pod } : {}),
          ...(e.identity !== undefined ? { identity: e.identity } : {}),
        })),
      })),
    })),
    bindFailures: [...bindFailures.values()],
  });

  try {
    admin = await startAdminServer(options.adminHost ?? '127.0.0.1', options.adminPort ?? 0, {
      metrics: () =>
        metrics.render() +
        routeMetrics.render() +
        renderBalancerGauges(balanced()) +
        (upstreamTls?.render() ?? '') +
        policies.mirrorDiffs.render(),
      ready: () => closing === undefined && applied >= 0,
      config: describe,
      shutdown: () => void close().then(() => options.onShutdown?.()),
      tap,
      mirrorDiffs: (limit) => policies.mirrorDiffs.view(limit),
    });
  } catch (err) {
    await close(0);
    throw err;
  }

  return {
    adminPort: admin.port,
    metrics,
    tap,
    mirrors: policies.mirrors.stats,
    mirrorDiffs: policies.mirrorDiffs,
    listeners: () =>
      [...listeners.values()].map((l) => ({
        namespace: l.ref.namespace,
        service: l.ref.service,
        port: l.ref.port,
        host: l.bound.host,
        listenPort: l.bound.port,
      })),
    settled: () => running,
    close: (o) => close(o?.drainMs),
  };
}
