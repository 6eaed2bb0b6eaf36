/**
 * Golden metrics with Linkerd's names, labels and buckets, so that Flagger's Linkerd queries work on
 * them unchanged. Counters are plain numbers bumped on the request path; text is rendered on scrape.
 *
 * - `request_total{<labels>}`
 * - `response_total{<labels>,classification="success|failure",status_code}`
 * - `response_latency_ms_bucket|_sum|_count{<labels>,status_code[,le]}`: from the request's headers
 *   to the end of the response stream, in milliseconds.
 *
 * A response is a failure when its status is 5xx or the proxy produced or broke it (an error).
 * gRPC responses also carry `grpc_status` (on `response_total` and the latency series), and the caller
 * classifies them by it: any status other than OK (0), or no status at all, is a failure.
 */

/** Linkerd's `response_latency_ms` bucket bounds (`+Inf` is implicit). */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000,
  50000,
];
const NBUCKETS = LATENCY_BUCKETS_MS.length;

class StatusStats {
  success = 0;
  failure = 0;
  sum = 0;
  /** per-bucket (not cumulative) counts; the last slot is +Inf */
  readonly buckets = new Float64Array(NBUCKETS + 1);
  /** `grpc` is the gRPC status of a gRPC response, -1 otherwise */
  constructor(
    readonly code: number,
    readonly grpc: number,
  ) {}
}

/** One label set (without status_code/classification): the counters of one (source, destination) pair. */
export class Series {
  requests = 0;
  readonly statuses: StatusStats[] = [];
  /** rendered label pairs, `a="x",b="y"` */
  constructor(readonly labels: string) {}

  request(): void {
    this.requests++;
  }

  /** `grpcStatus`: the response's `grpc-status` for gRPC (label `grpc_status`), else -1 */
  response(status: number, latencyMs: number, failed: boolean, grpcStatus = -1): void {
    const ss = this.statuses;
    let s: StatusStats | undefined;
    for (let i = 0; i < ss.length; i++) {
      const x = ss[i] as StatusStats;
      if (x.code === status && x.grpc === grpcStatus) {
        s = x;
        break;
      }
    }
    if (s === undefined) {
      s = new StatusStats(status, grpcStatus);
      ss.push(s);
      ss.sort((a, b) => a.code - b.code || a.grpc - b.grpc);
    }
    if (failed || status >= 500) s.failure++;
    else s.success++;
    s.sum += latencyMs;
    let b = 0;
    while (b < NBUCKETS && latencyMs > (LATENCY_BUCKETS_MS[b] as number)) b++;
    s.buckets[b] = (s.buckets[b] as number) + 1;
  }
}

function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `a="x",b="y"` from ordered pairs; pairs with an undefined or empty value are left out. */
export function renderLabels(pairs: ReadonlyArray<readonly [string, string | undefined]>): string {
  let out = '';
  for (const [k, v] of pairs) {
    if (v === undefined || v === '') continue;
    out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(v)}"`;
  }
  return out;
}

function join(labels: string, extra: string): string {
  return labels === '' ? extra : `${labels},${extra}`;
}

/** The registry of one proxy instance. */
export class GoldenMetrics {
  private readonly all = new Map<string, Series>();

  /** the series for these labels, created on first use (callers cache it) */
  series(pairs: ReadonlyArray<readonly [string, string | undefined]>): Series {
    const labels = renderLabels(pairs);
    let s = this.all.get(labels);
    if (s === undefined) {
      s = new Series(labels);
      this.all.set(labels, s);
    }
    return s;
  }

  /** Prometheus text exposition format 0.0.4 */
  render(): string {
    const req: string[] = ['# HELP request_total Total count of HTTP requests.', '# TYPE request_total counter'];
    const resp: string[] = ['# HELP response_total Total count of HTTP responses.', '# TYPE response_total counter'];
    const lat: string[] = [
      "# HELP response_latency_ms Elapsed times between a request's headers being received and its response stream completing",
      '# TYPE response_latency_ms histogram',
    ];
    for (const s of this.all.values()) {
      req.push(`request_total{${s.labels}} ${s.requests}`);
      for (const st of s.statuses) {
        const code = st.grpc < 0 ? `status_code="${st.code}"` : `grpc_status="${st.grpc}",status_code="${st.code}"`;
        if (st.success > 0)
          resp.push(`response_total{${join(s.labels, `classification="success",${code}`)}} ${st.success}`);
        if (st.failure > 0)
          resp.push(`response_total{${join(s.labels, `classification="failure",${code}`)}} ${st.failure}`);
        const base = join(s.labels, code);
        let cum = 0;
        for (let i = 0; i < NBUCKETS; i++) {
          cum += st.buckets[i] as number;
          lat.push(`response_latency_ms_bucket{${base},le="${LATENCY_BUCKETS_MS[i]}"} ${cum}`);
        }
        cum += st.buckets[NBUCKETS] as number;
        lat.push(`response_latency_ms_bucket{${base},le="+Inf"} ${cum}`);
        lat.push(`response_latency_ms_sum{${base}} ${Math.round(st.sum * 1000) / 1000}`);
        lat.push(`response_latency_ms_count{${base}} ${cum}`);
      }
    }
    return `${req.join('\n')}\n${resp.join('\n')}\n${lat.join('\n')}\n`;
  }
}
