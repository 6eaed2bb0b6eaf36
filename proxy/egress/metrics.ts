import type { EgressDecision } from '../../engine/policy/egress.js';
import { renderLabels } from '../metrics.js';
import { ROUTE_BUCKETS_S } from '../route-metrics.js';

/**
 * Egress traffic counted as Linkerd counts it, with the EgressNetwork as the parent
 * (`parent_group="policy.linkerd.io",parent_kind="EgressNetwork",parent_namespace,parent_name,parent_port`),
 * the route that decided (`route_group,route_kind,route_namespace,route_name`; the default routes are
 * `route_kind="default",route_name="http-egress-allow|http-egress-deny|tcp-egress-allow|tcp-egress-deny"`)
 * and the `hostname` asked for:
 *
 * - `outbound_http_route_request_statuses_total{…,http_status,error}` and
 *   `outbound_http_route_request_duration_seconds` (0.05, 0.5, 1, 10): one per HTTP request (a denied one
 *   is `http_status="403"`)
 * - `outbound_tcp_route_open_total{…}` and `outbound_tcp_route_close_total{…,error}`: connections (CONNECT
 *   tunnels); a denied one is closed with `error="forbidden"`
 * - Weir's own `outbound_egress_would_deny_total{…,protocol="http|tcp"}`: audit mode, what was let through
 *   that the policy would have denied
 */

const BOUNDS_MS = ROUTE_BUCKETS_S.map((s) => s * 1000);

class HttpSeries {
  readonly statuses = new Map<string, number>();
  readonly buckets = new Float64Array(BOUNDS_MS.length + 1);
  sum = 0;
}

export class EgressMetrics {
  private readonly http = new Map<string, HttpSeries>();
  private readonly opens = new Map<string, number>();
  private readonly closes = new Map<string, number>();
  private readonly wouldDeny = new Map<string, number>();

  /** the labels of a decision for a destination port and host name */
  labels(d: EgressDecision, port: number, hostname: string): string {
    return renderLabels([
      ['parent_group', 'policy.linkerd.io'],
      ['parent_kind', 'EgressNetwork'],
      ['parent_namespace', d.network.namespace],
      ['parent_name', d.network.name],
      ['parent_port', String(port)],
      ['route_group', d.route.group],
      ['route_kind', d.route.kind],
      ['route_namespace', d.route.namespace],
      ['route_name', d.route.name],
      ['hostname', hostname],
    ]);
  }

  /** one HTTP request: the status the client got (undefined: none), `error` Linkerd's label ('' when none) */
  httpRequest(labels: string, status: number | undefined, error: string, latencyMs: number): void {
    let s = this.http.get(labels);
    if (s === undefined) this.http.set(labels, (s = new HttpSeries()));
    const key = `http_status="${status ?? ''}",error="${error}"`;
    s.statuses.set(key, (s.statuses.get(key) ?? 0) + 1);
    s.sum += latencyMs;
    let b = 0;
    while (b < BOUNDS_MS.length && latencyMs > (BOUNDS_MS[b] as number)) b++;
    s.buckets[b] = (s.buckets[b] as number) + 1;
  }

  tcpOpen(labels: string): void {
    this.opens.set(labels, (this.opens.get(labels) ?? 0) + 1);
  }

  tcpClose(labels: string, error: string): void {
    const key = `${labels},error="${error}"`;
    this.closes.set(key, (this.closes.get(key) ?? 0) + 1);
  }

  auditedDenial(labels: string, protocol: 'http' | 'tcp'): void {
    const key = `${labels},protocol="${protocol}"`;
    this.wouldDeny.set(key, (this.wouldDeny.get(key) ?? 0) + 1);
  }

  /** Prometheus text (format 0.0.4); empty when nothing was counted */
  render(): string {
    const out: string[] = [];
    if (this.http.size > 0) {
      const d = 'outbound_http_route_request_duration_seconds';
      out.push(`# HELP ${d} The time between request initialization and response completion.`, `# TYPE ${d} histogram`);
      for (const [labels, s] of this.http) {
        let cum = 0;
        ROUTE_BUCKETS_S.forEach((le, i) => {
          cum += s.buckets[i] as number;
          out.push(`${d}_bucket{${labels},le="${le}"} ${cum}`);
        });
        cum += s.buckets[ROUTE_BUCKETS_S.length] as number;
        out.push(
          `${d}_bucket{${labels},le="+Inf"} ${cum}`,
          `${d}_sum{${labels}} ${s.sum / 1000}`,
          `${d}_count{${labels}} ${cum}`,
        );
      }
      const st = 'outbound_http_route_request_statuses_total';
      out.push(`# HELP ${st} Completed request-response streams.`, `# TYPE ${st} counter`);
      for (const [labels, s] of this.http) for (const [k, n] of s.statuses) out.push(`${st}{${labels},${k}} ${n}`);
    }
    const counters: Array<[string, string, Map<string, number>]> = [
      ['outbound_tcp_route_open_total', 'The number of connections opened on a route.', this.opens],
      ['outbound_tcp_route_close_total', 'The number of connections closed on a route.', this.closes],
      [
        'outbound_egress_would_deny_total',
        'Egress traffic let through in audit mode that the policy would deny.',
        this.wouldDeny,
      ],
    ];
    for (const [name, help, m] of counters) {
      if (m.size === 0) continue;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, n] of m) out.push(`${name}{${labels}} ${n}`);
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}
