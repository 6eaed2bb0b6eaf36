import type { CompiledRule, ServicePortRef } from '../engine/routing/index.js';
import { renderLabels } from './metrics.js';
import { ROUTE_ERRORS } from './errors.js';

/**
 * Per-route and per-backend golden metrics with the names, labels and buckets of Linkerd's outbound
 * policy metrics (linkerd.md 1.13), rendered on scrape only from plain counters:
 *
 * - `outbound_{http,grpc}_route_request_duration_seconds` (0.05, 0.5, 1, 10) and
 *   `outbound_{http,grpc}_route_request_statuses_total{…,http_status|grpc_status,error}`: what the client
 *   got for a request served by a route rule, once per request (retries included in the duration)
 * - `outbound_{http,grpc}_route_backend_requests_total`, `…_backend_response_duration_seconds` (0.025,
 *   0.05, 0.1, 0.25, 0.5, 1, 10) and `…_backend_response_statuses_total`, labelled `backend_*` as well:
 *   each try sent to a backend of the rule
 * - `outbound_http_route_retry_requests_total`, `…_retry_successes_total`, `…_retry_limit_exceeded_total`,
 *   `…_retry_overflow_total` (the retry budget said no)
 *
 * Labels: `parent_group,parent_kind,parent_namespace,parent_name,parent_port`,
 * `route_group,route_kind,route_namespace,route_name,route_rule` (the rule's name, else its index; the
 * default route is `route_kind="default",route_name="http|grpc"`) and `backend_group,backend_kind,
 * backend_namespace,backend_name,backend_port`. A response the proxy made or broke has `error` set
 * (Linkerd's values, e.g. `FAIL_FAST`, `RESPONSE_HEADERS_TIMEOUT`) and `http_status`/`grpc_status` empty
 * when no response head was forwarded. Durations run from the request's headers to the end of the
 * response; a backend's from the request's headers too (as Linkerd's), so a retried try includes the
 * earlier ones.
 *
 * Cardinality is bounded by the snapshot: the label sets are interned once per snapshot (one per rule,
 * one per rule × backend), and the hot path is one `response()` call on an interned object, with no
 * string building. A label set that no snapshot uses any more is kept 10 minutes (so counters stay
 * monotonic across a short reconfiguration), then evicted, as Linkerd evicts idle series.
 */

/** Linkerd's route request duration buckets, seconds */
export const ROUTE_BUCKETS_S: readonly number[] = [0.05, 0.5, 1, 10];
/** Linkerd's route backend response duration buckets, seconds */
export const BACKEND_BUCKETS_S: readonly number[] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 10];
const ROUTE_BUCKETS_MS = ROUTE_BUCKETS_S.map((s) => s * 1000);
const BACKEND_BUCKETS_MS = BACKEND_BUCKETS_S.map((s) => s * 1000);

/** counters of one (status, error) pair */
class StatusCount {
  n = 0;
  constructor(
    readonly status: number,
    readonly error: number,
  ) {}
}

/** statuses and a duration histogram (non-cumulative counts; last slot +Inf) */
class Outcomes {
  readonly statuses: StatusCount[] = [];
  readonly buckets: Float64Array;
  sum = 0;

  constructor(private readonly boundsMs: readonly number[]) {
    this.buckets = new Float64Array(boundsMs.length + 1);
  }

  /** `status`: the HTTP status (or gRPC status of a gRPC route) forwarded, -1 when none */
  record(status: number, latencyMs: number, error: number): void {
    const ss = this.statuses;
    let s: StatusCount | undefined;
    for (let i = 0; i < ss.length; i++) {
      const x = ss[i] as StatusCount;
      if (x.status === status && x.error === error) {
        s = x;
        break;
      }
    }
    if (s === undefined) {
      s = new StatusCount(status, error);
      ss.push(s);
      ss.sort((a, b) => a.status - b.status || a.error - b.error);
    }
    s.n++;
    this.sum += latencyMs;
    const bounds = this.boundsMs;
    let b = 0;
    while (b < bounds.length && latencyMs > (bounds[b] as number)) b++;
    this.buckets[b] = (this.buckets[b] as number) + 1;
  }

  get count(): number {
    let c = 0;
    for (const x of this.buckets) c += x;
    return c;
  }
}

/** The request-level counters of one route rule (one label set). */
export class RouteMetrics {
  /** the current snapshot refers to it (else `retiredAt` says since when it does not) */
  retiredAt: number | undefined;
  gen = 0;
  readonly requests: Outcomes = new Outcomes(ROUTE_BUCKETS_MS);
  retries = 0;
  retrySuccesses = 0;
  retryLimitExceeded = 0;
  retryOverflow = 0;

  constructor(
    readonly grpc: boolean,
    readonly labels: string,
  ) {}

  /**
   * What the client got for one request: `status` the HTTP status forwarded (gRPC routes: the gRPC
   * status), -1 or 0 when none was (the proxy failed it); `error` one of the ERR_* codes of errors.ts.
   */
  request(status: number, latencyMs: number, error: number, grpcStatus = -1): void {
    this.requests.record(this.grpc ? grpcStatus : status > 0 ? status : -1, latencyMs, error);
  }
}

/** The try-level counters of one backend of one route rule; `response()` also records the request. */
export class RouteBackendMetrics {
  retiredAt: number | undefined;
  gen = 0;
  readonly responses: Outcomes = new Outcomes(BACKEND_BUCKETS_MS);

  constructor(
    readonly route: RouteMetrics,
    /** route labels plus the backend's */
    readonly labels: string,
  ) {}

  /** one try's outcome (a retried one, or one given up); not what the client got */
  tryResponse(status: number, latencyMs: number, error: number, grpcStatus = -1): void {
    this.responses.record(this.route.grpc ? grpcStatus : status > 0 ? status : -1, latencyMs, error);
  }

  /**
   * The response the client got, from this backend: one call per response, on the try that is
   * forwarded. Records the backend's try and the route's request.
   */
  response(status: number, latencyMs: number, error: number, grpcStatus = -1): void {
    const s = this.route.grpc ? grpcStatus : status > 0 ? status : -1;
    this.responses.record(s, latencyMs, error);
    this.route.requests.record(s, latencyMs, error);
  }
}

/** A rule's metrics as a listener uses them: the route's, and one per backend target (by `BackendTarget.index`). */
export class RuleMetrics {
  constructor(
    readonly route: RouteMetrics,
    private readonly byTarget: ReadonlyArray<RouteBackendMetrics | undefined>,
  ) {}

  /** the metrics of the rule's backend whose `BackendTarget.index` is `index` */
  backend(index: number): RouteBackendMetrics | undefined {
    return this.byTarget[index];
  }
}

const EVICT_AFTER_MS = 10 * 60_000;

function parentPairs(parent: ServicePortRef): Array<[string, string]> {
  return [
    ['parent_group', 'core'],
    ['parent_kind', 'Service'],
    ['parent_namespace', parent.namespace],
    ['parent_name', parent.service],
    ['parent_port', String(parent.port)],
  ];
}

/** The registry of one outbound proxy. */
export class RouteMetricsRegistry {
  private readonly routes = new Map<string, RouteMetrics>();
  private readonly backends = new Map<string, RouteBackendMetrics>();
  private gen = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** start interning the label sets of a new snapshot (`endSnapshot()` retires the ones not used) */
  beginSnapshot(): void {
    this.gen++;
  }

  /**
   * The metrics of `rule` (of a GRPCRoute table when `grpc`) on the listener of `parent`, interned.
   * `targets` are the listener's backend targets (index = `BackendTarget.index`). Called at snapshot
   * application, never per request.
   */
  rule(parent: ServicePortRef, rule: CompiledRule, grpc: boolean, targetCount: number): RuleMetrics {
    const [ns, name] = rule.route === undefined ? ['', grpc ? 'grpc' : 'http'] : splitRoute(rule.route);
    const routeLabels = renderLabels([
      ...parentPairs(parent),
      ['route_group', rule.route === undefined ? '' : 'gateway.networking.k8s.io'],
      ['route_kind', rule.route === undefined ? 'default' : grpc ? 'GRPCRoute' : 'HTTPRoute'],
      ['route_namespace', ns],
      ['route_name', name],
      ['route_rule', rule.name ?? String(rule.ruleIndex)],
    ]);
    const rkey = `${grpc ? 'g' : 'h'}{${routeLabels}}`;
    let rm = this.routes.get(rkey);
    if (rm === undefined) {
      rm = new RouteMetrics(grpc, routeLabels);
      this.routes.set(rkey, rm);
    }
    rm.gen = this.gen;
    rm.retiredAt = undefined;
    const byTarget: Array<RouteBackendMetrics | undefined> = new Array(targetCount).fill(undefined);
    for (const b of rule.backends) {
      const t = b.target;
      if (t === undefined || byTarget[t.index] !== undefined) continue;
      const labels = `${routeLabels},${renderLabels([
        ['backend_group', 'core'],
        ['backend_kind', 'Service'],
        ['backend_namespace', t.namespace],
        ['backend_name', t.service],
        ['backend_port', String(t.port)],
      ])}`;
      const bkey = `${grpc ? 'g' : 'h'}{${labels}}`;
      let bm = this.backends.get(bkey);
      if (bm === undefined || bm.route !== rm) {
        bm = new RouteBackendMetrics(rm, labels);
        this.backends.set(bkey, bm);
      }
      bm.gen = this.gen;
      bm.retiredAt = undefined;
      byTarget[t.index] = bm;
    }
    return new RuleMetrics(rm, byTarget);
  }

  /** the snapshot is applied: label sets it did not intern are retired (evicted 10 minutes later) */
  endSnapshot(): void {
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    for (const map of [this.routes, this.backends] as Array<Map<string, RouteMetrics | RouteBackendMetrics>>) {
      for (const [k, m] of map) {
        if (m.gen === this.gen) continue;
        m.retiredAt ??= now;
        if (now - m.retiredAt >= EVICT_AFTER_MS) map.delete(k);
      }
    }
  }

  /** Prometheus text exposition format 0.0.4 */
  render(): string {
    this.sweep();
    const out: string[] = [];
    for (const proto of ['http', 'grpc'] as const) {
      const grpc = proto === 'grpc';
      const routes = [...this.routes.values()].filter((r) => r.grpc === grpc);
      const backends = [...this.backends.values()].filter((b) => b.route.grpc === grpc);
      const statusLabel = grpc ? 'grpc_status' : 'http_status';
      const p = `outbound_${proto}_route`;
      histogram(
        out,
        `${p}_request_duration_seconds`,
        'The time between request initialization and response completion.',
        ROUTE_BUCKETS_S,
        routes.map((r) => [r.labels, r.requests]),
      );
      counter(out, `${p}_request_statuses_total`, 'Completed request-response streams.');
      for (const r of routes) statuses(out, `${p}_request_statuses_total`, r.labels, statusLabel, r.requests);
      counter(out, `${p}_backend_requests_total`, 'The total number of requests dispatched to a backend.');
      for (const b of backends) out.push(`${p}_backend_requests_total{${b.labels}} ${b.responses.count}`);
      histogram(
        out,
        `${p}_backend_response_duration_seconds`,
        'The time between request initialization and response completion, per backend.',
        BACKEND_BUCKETS_S,
        backends.map((b) => [b.labels, b.responses]),
      );
      counter(out, `${p}_backend_response_statuses_total`, 'Completed responses of a backend.');
      for (const b of backends)
        statuses(out, `${p}_backend_response_statuses_total`, b.labels, statusLabel, b.responses);
      if (!grpc) {
        const retry: Array<[string, string, (r: RouteMetrics) => number]> = [
          ['requests', 'Retry requests emitted.', (r) => r.retries],
          ['successes', 'Successful responses to retried requests.', (r) => r.retrySuccesses],
          [
            'limit_exceeded',
            'Retryable requests not retried because the retry limit was reached.',
            (r) => r.retryLimitExceeded,
          ],
          [
            'overflow',
            'Retryable requests not retried because the retry budget was exhausted.',
            (r) => r.retryOverflow,
          ],
        ];
        for (const [name, help, get] of retry) {
          counter(out, `${p}_retry_${name}_total`, help);
          for (const r of routes) out.push(`${p}_retry_${name}_total{${r.labels}} ${get(r)}`);
        }
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function splitRoute(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

function counter(out: string[], name: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
}

function statuses(out: string[], name: string, labels: string, statusLabel: string, o: Outcomes): void {
  for (const s of o.statuses) {
    const status = s.status < 0 ? '' : String(s.status);
    out.push(`${name}{${labels},${statusLabel}="${status}",error="${ROUTE_ERRORS[s.error] ?? ''}"} ${s.n}`);
  }
}

function histogram(
  out: string[],
  name: string,
  help: string,
  bounds: readonly number[],
  series: Array<[string, Outcomes]>,
): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const [labels, o] of series) {
    let cum = 0;
    for (let i = 0; i < bounds.length; i++) {
      cum += o.buckets[i] as number;
      out.push(`${name}_bucket{${labels},le="${bounds[i]}"} ${cum}`);
    }
    cum += o.buckets[bounds.length] as number;
    out.push(`${name}_bucket{${labels},le="+Inf"} ${cum}`);
    out.push(`${name}_sum{${labels}} ${Math.round(o.sum * 1000) / 1e6}`);
    out.push(`${name}_count{${labels}} ${cum}`);
  }
}
