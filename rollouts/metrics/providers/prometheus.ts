import { parsePromValue, REQUEST_DURATION, REQUEST_SUCCESS_RATE } from '../../../engine/analysis/index.js';
import { send } from './http.js';
import type { MetricQueryRunner, ProviderConfig } from './types.js';

/** Flagger's Prometheus request timeout (`pkg/metrics/providers/prometheus.go`). */
export const PROMETHEUS_TIMEOUT_MS = 5_000;

/**
 * Flagger's Linkerd builtin queries (`pkg/metrics/observers/linkerd.go`, reference flagger.md 3.12), used
 * for `request-success-rate` and `request-duration` when a Canary sets `spec.metricsServer`.
 */
export const LINKERD_BUILTIN_QUERIES: Readonly<Record<string, string>> = {
  [REQUEST_SUCCESS_RATE]: `sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",
    classification!="failure",direction="inbound"}[{{ interval }}]))
/ sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",
    direction="inbound"}[{{ interval }}])) * 100`,
  [REQUEST_DURATION]: `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}",
    deployment=~"{{ target }}",direction="inbound"}[{{ interval }}])) by (le))`,
};

interface PrometheusResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** One sample value as the HTTP API writes it (a string, as Go's `strconv.ParseFloat` reads it). */
function parseSampleValue(v: unknown): number {
  const n = typeof v === 'string' ? parsePromValue(v) : undefined;
  if (n === undefined) throw new Error(`unexpected sample value ${JSON.stringify(v)}`);
  return n;
}

/**
 * The value of an instant query: the first sample of a vector, or a scalar. An empty vector or NaN is no
 * data (`undefined`); a range vector or a string is an error.
 */
export function parseQueryResult(body: PrometheusResponse): number | undefined {
  if (body.status !== undefined && body.status !== 'success') {
    throw new Error(`prometheus: ${body.errorType ?? body.status}: ${body.error ?? 'query failed'}`);
  }
  const type = body.data?.resultType;
  const result = body.data?.result;
  let value: number;
  if (type === 'vector') {
    if (!Array.isArray(result)) throw new Error('prometheus: a vector result without samples');
    const first = result[0] as { value?: unknown[] } | undefined;
    if (first === undefined) return undefined;
    value = parseSampleValue(first.value?.[1]);
  } else if (type === 'scalar') {
    if (!Array.isArray(result)) throw new Error('prometheus: a scalar result without a value');
    value = parseSampleValue(result[1]);
  } else if (type === 'matrix') {
    throw new Error('prometheus: the query returned a range vector; a metric query must return one instant value');
  } else {
    throw new Error(`prometheus: unsupported result type ${JSON.stringify(type)}`);
  }
  return Number.isNaN(value) ? undefined : value;
}

/** Flagger's `trimQuery`: every run of whitespace becomes one space. */
export function trimQuery(query: string): string {
  return query.replace(/\s+/g, ' ').trim();
}

/** `{address}/api/v1/query?query=...`, keeping a path prefix of the address (Flagger: `path.Join`). */
export function queryUrl(address: string, query: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`prometheus address ${address} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`prometheus address ${address} is not an http(s) URL`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.searchParams.set('query', trimQuery(query));
  return url;
}

/** Flagger: `token` -> Bearer; else `username` and `password` -> basic; else an error. */
function authorization(credentials: Record<string, string>): string {
  const token = credentials.token;
  if (token !== undefined && token !== '') return `Bearer ${token}`;
  const { username, password } = credentials;
  if (username !== undefined && password !== undefined) {
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  throw new Error('prometheus credentials have neither a token nor a username and a password');
}

/**
 * Flagger's `prometheus` provider: `GET {address}/api/v1/query?query=<whitespace collapsed>` with
 * `spec.provider.headers` and the Secret's `token` (Bearer) or `username` + `password` (basic).
 */
export function prometheus(config: ProviderConfig): MetricQueryRunner {
  const address = config.address;
  if (address === undefined || address === '') {
    throw new Error('prometheus address is not set: spec.provider.address or the canary spec.metricsServer');
  }
  const headers: Record<string, string[]> = { accept: ['application/json'] };
  for (const [k, values] of Object.entries(config.headers)) headers[k.toLowerCase()] = [...values];
  if (config.credentials !== undefined) headers.authorization = [authorization(config.credentials)];
  const timeoutMs = config.timeoutMs ?? PROMETHEUS_TIMEOUT_MS;
  return {
    async run(query) {
      const url = queryUrl(address, query);
      const res = await send('prometheus', {
        url,
        headers,
        timeoutMs,
        insecureSkipVerify: config.insecureSkipVerify,
      }).catch((err: unknown) => {
        // the message Weir always gave: "prometheus query to <origin> failed: ..."
        throw new Error(
          String(err instanceof Error ? err.message : err).replace('prometheus request', 'prometheus query'),
        );
      });
      if (res.status >= 400) {
        throw new Error(`prometheus ${url.origin}: HTTP ${res.status}: ${res.text.trim().slice(0, 500)}`);
      }
      let body: PrometheusResponse;
      try {
        body = JSON.parse(res.text) as PrometheusResponse;
      } catch {
        throw new Error(`prometheus ${url.origin}: the answer is not JSON: ${res.text.trim().slice(0, 200)}`);
      }
      return parseQueryResult(body);
    },
  };
}
