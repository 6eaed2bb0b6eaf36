import { parseDurationMs } from '../../engine/resources/meta.js';
import type { HTTPRoute } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { formatTable } from '../table.js';
import { ms, openConnections, percent, routeSnapshot, rps, trafficOf, type TrafficStats } from '../viz/golden-rows.js';
import { scrapePods, type Scrape } from '../viz/scrape.js';
import { adminOf, listPods, parseTarget, podKey, resourceName, workloads, type VizKind } from '../viz/workloads.js';

export interface StatOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  window?: string;
  api?: string;
}

const DEFAULT_STAT_WINDOW = '2s';

/** One row of `weir stat`, also its `-o json` item (Linkerd's JSON field names). */
interface StatRow {
  namespace: string;
  kind: VizKind;
  name: string;
  /** `meshed/total` pods (workloads) */
  meshed?: string;
  /** routes: the Services the route is attached to */
  service?: string;
  status?: string;
  stats: TrafficStats;
  tcpConn?: number | undefined;
}

function jsonRow(r: StatRow): Record<string, unknown> {
  const s = r.stats;
  return {
    namespace: r.namespace,
    kind: r.kind,
    name: r.name,
    ...(r.meshed !== undefined ? { meshed: r.meshed } : {}),
    ...(r.service !== undefined ? { service: r.service } : {}),
    ...(r.status !== undefined ? { status: r.status } : {}),
    success: s.success === undefined ? null : s.success / 100,
    rps: s.rps ?? null,
    latency_ms_p50: s.p50 ?? null,
    latency_ms_p95: s.p95 ?? null,
    latency_ms_p99: s.p99 ?? null,
    ...(r.kind !== 'route' ? { tcp_open_connections: r.tcpConn ?? null, tls: s.tls ?? null } : {}),
    requests: s.requests,
  };
}

function head(kind: VizKind, wide: boolean): string[] {
  if (kind === 'route') return ['NAME', 'SERVICE', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99'];
  return [
    'NAME',
    ...(kind === 'pod' ? ['STATUS'] : []),
    'MESHED',
    'SUCCESS',
    'RPS',
    'LATENCY_P50',
    'LATENCY_P95',
    'LATENCY_P99',
    'TCP_CONN',
    ...(wide ? ['TLS'] : []),
  ];
}

function cells(r: StatRow, wide: boolean): string[] {
  const s = r.stats;
  const golden = [percent(s.success), rps(s.rps), ms(s.p50), ms(s.p95), ms(s.p99)];
  if (r.kind === 'route') return [r.name, r.service ?? '-', ...golden];
  const tls = s.tls === undefined ? '-' : `${Math.round(s.tls * 100)}%`;
  return [
    r.name,
    ...(r.kind === 'pod' ? [r.status ?? '-'] : []),
    r.meshed ?? '-',
    ...golden,
    r.tcpConn === undefined ? '-' : String(r.tcpConn),
    ...(wide ? [tls] : []),
  ];
}

/**
 * `weir stat deploy|svc|pod|route [NAME]`: Linkerd's `viz stat`, read from the sidecars themselves: every
 * meshed pod's admin `/metrics` is scraped twice, `--window` apart, and the rows are what the counters
 * added in between (`--window 0`: the cumulative counters since each sidecar started, without RPS).
 */
export async function statCommand(type: string, name: string | undefined, opts: StatOptions): Promise<number> {
  const target = parseTarget(type, name, ['deployment', 'pod', 'service', 'route']);
  if (typeof target === 'string') {
    console.error(`error: ${target}`);
    return 2;
  }
  if (opts.output !== undefined && opts.output !== 'json' && opts.output !== 'wide') {
    console.error(`error: --output must be one of json, wide (got "${opts.output}")`);
    return 2;
  }
  const windowMs = parseDurationMs(opts.window ?? DEFAULT_STAT_WINDOW);
  if (windowMs === undefined || windowMs < 0 || windowMs > 600_000) {
    console.error(`error: --window must be a duration from 0 to 10m (got "${opts.window}")`);
    return 2;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? 'default');
  const rows =
    target.kind === 'route'
      ? await routeRows(client, namespace, windowMs)
      : await workloadRows(client, target.kind, namespace, windowMs);
  const shown = target.name === undefined ? rows : rows.filter((r) => r.name === target.name);
  if (target.name !== undefined && shown.length === 0) {
    console.error(`Error from server (NotFound): ${resourceName(target.kind)} "${target.name}" not found`);
    return 1;
  }
  if (opts.output === 'json') {
    console.log(JSON.stringify(shown.map(jsonRow), null, 2));
    return 0;
  }
  if (shown.length === 0) {
    console.error(namespace === undefined ? 'No resources found' : `No resources found in ${namespace} namespace.`);
    return 0;
  }
  const wide = opts.output === 'wide';
  const all = opts.allNamespaces === true;
  const table = [
    [...(all ? ['NAMESPACE'] : []), ...head(target.kind, wide)],
    ...shown.map((r) => [...(all ? [r.namespace] : []), ...cells(r, wide)]),
  ];
  console.log(formatTable(table));
  return 0;
}

/** two scrapes `windowMs` apart (one with a window of 0) */
async function scrapeTwice(
  pods: Parameters<typeof scrapePods>[0],
  windowMs: number,
): Promise<[Scrape | undefined, Scrape]> {
  if (windowMs === 0) return [undefined, await scrapePods(pods)];
  const first = await scrapePods(pods);
  await new Promise((r) => setTimeout(r, windowMs));
  const last = await scrapePods(pods);
  for (const [pod, why] of last.failed) console.error(`warning: pod ${pod}: no metrics from its sidecar (${why})`);
  return [first, last];
}

async function workloadRows(
  client: ApiClient,
  kind: Exclude<VizKind, 'route'>,
  namespace: string | undefined,
  windowMs: number,
): Promise<StatRow[]> {
  const pods = await listPods(client, namespace);
  const groups = await workloads(client, kind, namespace, pods);
  const [first, last] = await scrapeTwice(pods, windowMs);
  return groups
    .map((g): StatRow => {
      const keys = g.pods.map(podKey);
      return {
        namespace: g.namespace,
        kind,
        name: g.name,
        meshed: `${g.pods.filter((p) => adminOf(p) !== undefined).length}/${g.pods.length}`,
        ...(kind === 'pod' ? { status: g.pods[0]?.status?.phase ?? 'Unknown' } : {}),
        stats: trafficOf(keys, first, last),
        tcpConn: openConnections(keys, last),
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** routes: what every sidecar (any namespace: clients may be anywhere) routed by each HTTPRoute */
async function routeRows(client: ApiClient, namespace: string | undefined, windowMs: number): Promise<StatRow[]> {
  const routes = (await client.list('HTTPRoute', namespace)) as HTTPRoute[];
  const pods = await listPods(client, undefined);
  const [first, last] = await scrapeTwice(pods, windowMs);
  const keys = pods.map(podKey);
  return routes
    .map((r): StatRow => {
      const ns = r.metadata.namespace;
      const parents = (r.spec.parentRefs ?? []).map((p) => p.name).join(',');
      return {
        namespace: ns,
        kind: 'route',
        name: r.metadata.name,
        service: parents === '' ? '-' : parents,
        stats: trafficOf(keys, first, last, routeSnapshot(ns, r.metadata.name), undefined),
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}
