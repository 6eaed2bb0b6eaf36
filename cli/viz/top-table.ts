import type { TapEvent, TapResponseEvent } from '../../proxy/tap/event.js';
import { formatTable } from '../table.js';

export interface TopRow {
  source: string;
  destination: string;
  method: string;
  path: string;
  count: number;
  successes: number;
  /** latencies in milliseconds */
  best: number;
  worst: number;
  last: number;
}

/** `SA.NS` of a mesh identity (`SA.NS.serviceaccount.identity...`) */
function shortIdentity(id: string): string {
  return id.split('.').slice(0, 2).join('.');
}

function hostOf(address: string | undefined): string {
  if (address === undefined) return '-';
  const i = address.lastIndexOf(':');
  return i < 0 ? address : address.slice(0, i);
}

/** Linkerd's latency format: `431µs`, `2.4ms`, `37ms` */
export function latency(msValue: number): string {
  if (msValue < 1) return `${Math.round(msValue * 1000)}µs`;
  if (msValue < 10) return `${msValue.toFixed(1)}ms`;
  return `${Math.round(msValue)}ms`;
}

/**
 * Linkerd's `viz top`: the tapped requests by source, destination, method and path (query string left
 * out), with their count, best, worst and last latency and success rate, busiest first. A request seen
 * by both of its ends (the client's outbound side and the server's inbound side, both tapped) is counted
 * once, at the server: outbound events count only when their destination pod is not tapped.
 */
export class TopTable {
  private readonly rows = new Map<string, TopRow>();
  total = 0;

  /** `tapped(ns, pod)`: whether that pod's sidecar is tapped too */
  constructor(private readonly tapped: (namespace: string | undefined, pod: string | undefined) => boolean) {}

  add(e: TapEvent): void {
    if (e.type !== 'response') return;
    if (e.direction === 'outbound' && e.dst.pod !== undefined && this.tapped(e.dst.namespace, e.dst.pod)) return;
    const r = this.rowOf(e);
    r.count++;
    this.total++;
    if (e.status > 0 && e.status < 500 && e.error === undefined && (e.grpcStatus ?? 0) === 0) r.successes++;
    r.best = Math.min(r.best, e.latencyMs);
    r.worst = Math.max(r.worst, e.latencyMs);
    r.last = e.latencyMs;
  }

  private rowOf(e: TapResponseEvent): TopRow {
    const source =
      e.direction === 'inbound'
        ? e.src.identity !== undefined
          ? shortIdentity(e.src.identity)
          : hostOf(e.src.address)
        : (e.pod ?? '-');
    const destination = e.direction === 'inbound' ? (e.pod ?? '-') : (e.dst.pod ?? e.dst.service ?? '-');
    const q = e.path.indexOf('?');
    const path = q < 0 ? e.path : e.path.slice(0, q);
    const key = `${source}\0${destination}\0${e.method}\0${path}`;
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { source, destination, method: e.method, path, count: 0, successes: 0, best: Infinity, worst: 0, last: 0 };
      this.rows.set(key, r);
    }
    return r;
  }

  /** busiest first (then by path) */
  sorted(): TopRow[] {
    return [...this.rows.values()].sort((a, b) => b.count - a.count || a.path.localeCompare(b.path));
  }

  render(limit = Infinity): string {
    const rows = this.sorted().slice(0, limit);
    return formatTable([
      ['SOURCE', 'DESTINATION', 'METHOD', 'PATH', 'COUNT', 'BEST', 'WORST', 'LAST', 'SUCCESS'],
      ...rows.map((r) => [
        r.source,
        r.destination,
        r.method,
        r.path,
        String(r.count),
        latency(r.best),
        latency(r.worst),
        latency(r.last),
        `${((r.successes / r.count) * 100).toFixed(2)}%`,
      ]),
    ]);
  }
}
