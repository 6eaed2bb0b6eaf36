import {
  emptyGolden,
  goldenIncrease,
  goldenLatencyQuantileMs,
  goldenSnapshot,
  goldenSuccessRate,
  goldenTotal,
  sumGolden,
  type GoldenSnapshot,
  type PromSample,
} from '../../engine/analysis/index.js';
import type { Scrape } from './scrape.js';

/** The traffic of one row over the window, as Linkerd's `viz stat` shows it. */
export interface TrafficStats {
  /** responses counted */
  requests: number;
  /** percent of non-failures; undefined without traffic */
  success: number | undefined;
  /** requests per second; undefined for a cumulative reading (no window) */
  rps: number | undefined;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  /** share of requests over mutual TLS, 0..1; undefined without traffic */
  tls: number | undefined;
}

type Select = (labels: Record<string, string>) => boolean;

const inbound: Select = (l) => l.direction === 'inbound';
const inboundTls: Select = (l) => l.direction === 'inbound' && l.tls === 'true';

/** what one pod's samples add between the two scrapes (`before` undefined: since the sidecar started) */
function increase(
  before: PromSample[] | undefined,
  after: PromSample[],
  snapshot: (s: PromSample[]) => GoldenSnapshot,
) {
  return goldenIncrease(before === undefined ? undefined : snapshot(before), snapshot(after));
}

/** the stats of a set of series summed over `keys` (pods), between `first` (undefined: cumulative) and `last` */
export function trafficOf(
  keys: readonly string[],
  first: Scrape | undefined,
  last: Scrape,
  snapshot: (s: PromSample[]) => GoldenSnapshot = (s) => goldenSnapshot(s, inbound),
  tlsSnapshot: ((s: PromSample[]) => GoldenSnapshot) | undefined = (s) => goldenSnapshot(s, inboundTls),
): TrafficStats {
  const all: GoldenSnapshot[] = [];
  const secured: GoldenSnapshot[] = [];
  for (const k of keys) {
    const after = last.samples.get(k);
    if (after === undefined) continue;
    // a pod whose first scrape failed (a sidecar restarting) counts from its second one only
    const before = first === undefined ? undefined : (first.samples.get(k) ?? after);
    all.push(increase(before, after, snapshot));
    if (tlsSnapshot !== undefined) secured.push(increase(before, after, tlsSnapshot));
  }
  const sum = all.length === 0 ? emptyGolden() : sumGolden(all);
  const total = goldenTotal(sum);
  const windowS = first === undefined ? 0 : (last.at - first.at) / 1000;
  return {
    requests: total,
    success: goldenSuccessRate(sum),
    rps: first === undefined ? undefined : windowS > 0 ? total / windowS : 0,
    p50: goldenLatencyQuantileMs(0.5, sum),
    p95: goldenLatencyQuantileMs(0.95, sum),
    p99: goldenLatencyQuantileMs(0.99, sum),
    tls: total > 0 && tlsSnapshot !== undefined ? goldenTotal(sumGolden(secured)) / total : undefined,
  };
}

/**
 * An HTTPRoute's requests as the sidecars routed them (`outbound_http_route_request_statuses_total` and
 * `_request_duration_seconds`, Linkerd's outbound route metrics), in the shape of the golden snapshot:
 * a failure is a 5xx or a request the proxy failed (`error` set); durations in milliseconds.
 */
export function routeSnapshot(namespace: string, name: string): (s: PromSample[]) => GoldenSnapshot {
  return (samples) => {
    const out = emptyGolden();
    for (const s of samples) {
      const l = s.labels;
      if (l.route_kind !== 'HTTPRoute' || l.route_namespace !== namespace || l.route_name !== name) continue;
      if (l.backend_name !== undefined) continue;
      if (s.name === 'outbound_http_route_request_statuses_total') {
        const failed = (l.error ?? '') !== '' || Number(l.http_status) >= 500;
        const c = failed ? 'failure' : 'success';
        out.responses[c] = (out.responses[c] ?? 0) + s.value;
      } else if (s.name === 'outbound_http_route_request_duration_seconds_bucket' && l.le !== undefined) {
        const le = l.le === '+Inf' ? '+Inf' : String(Number(l.le) * 1000);
        out.latencyBuckets[le] = (out.latencyBuckets[le] ?? 0) + s.value;
      }
    }
    return out;
  };
}

/** `tcp_open_connections` of the inbound sides of `keys`, at the last scrape */
export function openConnections(keys: readonly string[], last: Scrape): number | undefined {
  let n: number | undefined;
  for (const k of keys) {
    for (const s of last.samples.get(k) ?? []) {
      if (s.name === 'tcp_open_connections' && s.labels.direction === 'inbound') n = (n ?? 0) + s.value;
    }
  }
  return n;
}

// ---- Linkerd's formats

export const percent = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(2)}%`);
export const rps = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(1)}rps`);
export const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)}ms`);
