import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import {
  endpointsKey,
  type ConfigSource,
  type MeshEndpoint,
  type MeshSnapshot,
  type ServicePortEndpoints,
} from '../engine/mesh/snapshot.js';
import {
  compileRoutingTables,
  type BackendTarget,
  type RoutingTable,
  type ServicePortRef,
} from '../engine/routing/index.js';
import { startAdminServer, type AdminServer } from './admin.js';
import { roundRobin, type Balancer, type BalancerFactory } from './balancer.js';
import { drainServer, Inflight, listen } from './drain.js';
import { NO_ENDPOINT, NO_ROUTE } from './errors.js';
import { forward, headInfo, requestHeaders, respondLocally, type ForwardObserver } from './forward.js';
import { GoldenMetrics, type Series } from './metrics.js';
import { EndpointPools } from './pools.js';

export interface OutboundProxyOptions {
  configSource: ConfigSource;
  /** address the Service listeners bind (default 127.0.0.1); each Service `port` is a listening port */
  host?: string;
  /** the proxy's own workload: metric labels, and the client namespace for GAMMA consumer routes */
  namespace?: string;
  deployment?: string;
  pod?: string;
  /** admin server (default 127.0.0.1, port 0 = a free port) */
  adminHost?: string;
  adminPort?: number;
  /** a listener that cannot be bound, or another non-fatal problem; default: console.error */
  onError?: (err: Error) => void;
  /** how long to wait for an endpoint's response headers before answering 504 (default: undici's 300 s) */
  responseTimeoutMs?: number;
  /** how long close() and /shutdown wait for in-flight requests (default 10 s) */
  drainMs?: number;
  /** endpoint choice within a backend (default round robin over ready endpoints) */
  balancer?: BalancerFactory;
  /** called after /shutdown has closed the proxy */
  onShutdown?: () => void;
}

export interface ListenerInfo {
  namespace: string;
  service: string;
  port: number;
  /** the address bound: the Service's loopback cluster IP, else the proxy's `host` */
  host: string;
}

export interface OutboundProxy {
  readonly adminPort: number;
  readonly metrics: GoldenMetrics;
  /** the Service ports currently listened on */
  listeners(): ListenerInfo[];
  /** resolves once the snapshots delivered so far have been applied */
  settled(): Promise<void>;
  /** stop accepting, drain in-flight requests (up to `drainMs`), close every connection and pool */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** An endpoint as a listener uses it: its connection pool and its metrics series. */
interface EndpointRoute extends ForwardObserver {
  endpoint: MeshEndpoint;
  pool: Pool;
  series: Series;
}

/** A backend Service port as a listener uses it. */
interface TargetRuntime {
  target: BackendTarget;
  balancer: Balancer<EndpointRoute>;
  /** for answers given without an endpoint (503, 500) */
  series: Series;
  endpoints: ServicePortEndpoints | undefined;
}

/** Everything one listener routes with; replaced as a whole on every snapshot. */
interface ListenerState {
  table: RoutingTable;
  targets: TargetRuntime[];
  /** for 404 */
  series: Series;
}

interface Listener {
  key: string;
  ref: ServicePortRef;
  server: Server;
  inflight: Inflight;
  state: ListenerState;
}

function listenerKey(ref: ServicePortRef): string {
  return endpointsKey(ref.namespace, ref.service, ref.port);
}

function authority(ref: ServicePortRef): string {
  return `${ref.service}.${ref.namespace}.svc.cluster.local:${ref.port}`;
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
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

/** the endpoint as the response observer, only when the balancer wants feedback */
const observerFor = (balancer: Balancer<EndpointRoute>, ep: EndpointRoute) =>
  balancer.release === undefined ? undefined : ep;

/**
 * The outbound side of a sidecar. One listener per Service port of the snapshot; each request is
 * routed by the compiled HTTPRoute table of that port, a backend is picked by weight, an endpoint by
 * the balancer, and the request is forwarded over the endpoint's keep-alive pool.
 */
export async function startOutboundProxy(options: OutboundProxyOptions): Promise<OutboundProxy> {
  const host = options.host ?? '127.0.0.1';
  const onError = options.onError ?? ((err: Error) => console.error(`weir outbound proxy: ${err.message}`));
  const makeBalancer = options.balancer ?? roundRobin;
  const metrics = new GoldenMetrics();
  const pools = new EndpointPools(
    options.responseTimeoutMs !== undefined ? { responseHeadersTimeoutMs: options.responseTimeoutMs } : {},
  );
  const listeners = new Map<string, Listener>();
  /** listener keys that failed to bind, with the error reported, so each is reported once */
  const bindFailures = new Map<string, string>();
  let applied = -1;
  let closed = false;

  const labels = (ref: ServicePortRef, t: ServicePortRef, deployment?: string) =>
    [
      ['direction', 'outbound'],
      ['namespace', options.namespace],
      ['deployment', options.deployment],
      ['pod', options.pod],
      ['authority', authority(ref)],
      ['dst_namespace', t.namespace],
      ['dst_service', t.service],
      ['dst_deployment', deployment],
    ] as const;

  function buildState(table: RoutingTable, endpoints: Map<string, ServicePortEndpoints>, used: Set<string>) {
    const ref = table.parent;
    const targets = table.targets.map((target): TargetRuntime => {
      const eps = endpoints.get(target.key);
      const ready = (eps?.endpoints ?? []).filter((e) => e.ready);
      const routes = ready.map((endpoint): EndpointRoute => {
        used.add(`${endpoint.address}:${endpoint.port}`);
        return {
          endpoint,
          pool: pools.get(endpoint.address, endpoint.port),
          series: metrics.series(labels(ref, target, endpoint.deployment)),
          done: () => undefined,
        };
      });
      const balancer = makeBalancer(routes);
      for (const r of routes) r.done = (ms, failed) => balancer.release?.(r, ms, failed);
      return { target, balancer, series: metrics.series(labels(ref, target)), endpoints: eps };
    });
    return { table, targets, series: metrics.series(labels(ref, ref)) };
  }

  function handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const inflight = listener.inflight;
    inflight.enter();
    const st = listener.state;
    if (!originForm(req)) {
      respondLocally(res, 400, `unsupported request target ${req.url ?? ''}`, st.series, start, inflight);
      return;
    }
    const rule = st.table.route(req);
    if (rule === undefined) {
      const ref = st.table.parent;
      const reason = `no route matches ${req.method ?? ''} ${pathOnly(req.url as string)} on ${ref.namespace}/${ref.service}:${ref.port}`;
      respondLocally(res, NO_ROUTE, reason, st.series, start, inflight);
      return;
    }
    const backend = rule.pick();
    if (backend.failStatus !== 0 || backend.target === undefined) {
      const series =
        backend.target !== undefined ? (st.targets[backend.target.index] as TargetRuntime).series : st.series;
      respondLocally(res, backend.failStatus, backend.reason, series, start, inflight);
      return;
    }
    const t = st.targets[backend.target.index] as TargetRuntime;
    const ep = t.balancer.pick();
    if (ep === undefined) {
      respondLocally(res, NO_ENDPOINT, `no ready endpoints for ${t.target.key}`, t.series, start, inflight);
      return;
    }
    const headers = requestHeaders(req);
    ep.series.request();
    forward(ep.pool, req, res, headers, headInfo().hasBody, ep.series, start, inflight, observerFor(t.balancer, ep));
  }

  async function open(key: string, ref: ServicePortRef, state: ListenerState): Promise<void> {
    const inflight = new Inflight();
    const listener: Listener = { key, ref, server: undefined as unknown as Server, inflight, state };
    const server = createServer((req, res) => handle(listener, req, res));
    server.keepAliveTimeout = 65_000;
    listener.server = server;
    try {
      await listen(server, ref.port, ref.address ?? host);
    } catch (err) {
      const message = `cannot listen on ${ref.address ?? host}:${ref.port} for Service ${ref.namespace}/${ref.service}: ${(err as Error).message}`;
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
    const tables = compileRoutingTables(snapshot, options.namespace);
    const endpoints = new Map<string, ServicePortEndpoints>();
    for (const e of snapshot.endpoints) endpoints.set(endpointsKey(e.namespace, e.service, e.port), e);
    const used = new Set<string>();
    const wanted = new Set<string>();
    const opening: Promise<void>[] = [];
    for (const table of tables) {
      const key = listenerKey(table.parent);
      if (wanted.has(key)) continue;
      wanted.add(key);
      const state = buildState(table, endpoints, used);
      const existing = listeners.get(key);
      if (existing !== undefined) existing.state = state;
      else opening.push(open(key, table.parent, state));
    }
    for (const [key, l] of listeners) {
      if (wanted.has(key)) continue;
      listeners.delete(key);
      void drainServer(l.server, l.inflight, options.drainMs ?? 10_000);
    }
    for (const key of bindFailures.keys()) if (!wanted.has(key)) bindFailures.delete(key);
    await Promise.all(opening);
    pools.retain(used);
    applied = snapshot.version;
  }

  // Snapshots are applied one at a time; when several arrive meanwhile only the newest is applied.
  let pending: MeshSnapshot | undefined;
  let running: Promise<void> = Promise.resolve();
  const offer = (snapshot: MeshSnapshot): Promise<void> => {
    if (closed) return running;
    pending = snapshot;
    running = running.then(async () => {
      const s = pending;
      pending = undefined;
      if (s === undefined || closed || s.version === applied) return;
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

  let closing: Promise<void> | undefined;
  let admin: AdminServer | undefined;
  const close = (drainMs = options.drainMs ?? 10_000): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      unsubscribe();
      await running;
      const all = [...listeners.values()];
      listeners.clear();
      await Promise.all(all.map((l) => drainServer(l.server, l.inflight, drainMs)));
      await pools.destroy();
      await admin?.close();
    })();
    return closing;
  };

  const describe = () => ({
    direction: 'outbound',
    version: applied,
    listeners: [...listeners.values()].map((l) => ({
      host: l.ref.address ?? host,
      ...l.state.table.describe(),
      inflight: l.inflight.count,
      backends: l.state.targets.map((t) => ({
        backend: t.target.key,
        endpoints: (t.endpoints?.endpoints ?? []).map((e) => ({
          address: `${e.address}:${e.port}`,
          ready: e.ready,
          ...(e.pod !== undefined ? { pod: e.pod } : {}),
        })),
      })),
    })),
    bindFailures: [...bindFailures.values()],
  });

  try {
    admin = await startAdminServer(options.adminHost ?? '127.0.0.1', options.adminPort ?? 0, {
      metrics: () => metrics.render(),
      ready: () => closing === undefined && applied >= 0,
      config: describe,
      shutdown: () => void close().then(() => options.onShutdown?.()),
    });
  } catch (err) {
    await close(0);
    throw err;
  }

  return {
    adminPort: admin.port,
    metrics,
    listeners: () =>
      [...listeners.values()].map((l) => ({
        namespace: l.ref.namespace,
        service: l.ref.service,
        port: l.ref.port,
        host: l.ref.address ?? host,
      })),
    settled: () => running,
    close: (o) => close(o?.drainMs),
  };
}
