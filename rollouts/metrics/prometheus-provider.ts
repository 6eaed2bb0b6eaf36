import { Agent, request, type Dispatcher } from 'undici';
import { isBuiltinMetric, REQUEST_DURATION, REQUEST_SUCCESS_RATE } from '../../engine/analysis/index.js';
import { metricTemplateModel, renderMetricTemplate } from '../../engine/analysis/template.js';
import type { Canary, CanaryMetric, MetricTemplate, Secret } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import type { MetricQuery, MetricsProvider } from './provider.js';

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

export interface PrometheusProviderOptions {
  /** where MetricTemplates and their Secrets are read */
  store: ResourceStore;
  /**
   * Flagger's `-metrics-server`: the Prometheus used for inline queries and builtin metrics of a Canary that
   * sets no `spec.metricsServer`, and for templates without `address`. Default: none (such metrics fail with
   * a message saying so; builtin metrics then stay with the mesh provider).
   */
  metricsServer?: string;
  /** per request (default 5 s, as Flagger) */
  timeoutMs?: number;
}

/** Where one query goes: the server, its headers (credentials included) and TLS verification. */
export interface PrometheusConnection {
  address: string;
  headers: Record<string, string[]>;
  insecureSkipVerify: boolean;
}

interface PrometheusResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** One sample value as the HTTP API writes it (a string, as Go's `strconv.ParseFloat` reads it). */
function parseSampleValue(v: unknown): number {
  if (typeof v !== 'string') throw new Error(`unexpected sample value ${JSON.stringify(v)}`);
  switch (v) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new Error(`unexpected sample value ${JSON.stringify(v)}`);
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

/** The value of one key of a Secret: `stringData` over base64 `data`, as the API server merges them. */
function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

/**
 * Flagger's `prometheus` metric provider over the Prometheus HTTP API (`GET /api/v1/query`):
 *
 * - metrics with a `templateRef`: the MetricTemplate (namespace defaulting to the Canary's) is read from the
 *   store, its query rendered with Flagger's template variables (`engine/analysis/template.ts`) and sent to
 *   the template's `provider.address`, else the Canary's `spec.metricsServer`, with `provider.headers` and the
 *   credentials of `provider.secretRef` (a Secret in the template's namespace: `token` -> Bearer, or
 *   `username` + `password` -> basic);
 * - the deprecated inline `metric.query`, sent as is to the Canary's `spec.metricsServer`;
 * - builtin metrics of a Canary that sets `spec.metricsServer`, with Flagger's Linkerd queries. Builtin
 *   metrics of other Canaries stay with the mesh provider (see `supports`).
 *
 * An empty result or NaN is no data (the check fails with Flagger's "no values found" message); a missing
 * template, Secret or address, a template error, an HTTP error or a timeout (5 s) is a query error.
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  readonly name = 'prometheus';
  private insecureAgent: Agent | undefined;

  constructor(private readonly options: PrometheusProviderOptions) {}

  /**
   * Template and inline-query metrics always. Builtin names only when the canary has a metrics server (or
   * a default one is configured); otherwise the mesh provider answers them from the sidecars directly.
   */
  supports(metric: CanaryMetric, canary?: Canary): boolean {
    if (metric.templateRef !== undefined || metric.query !== undefined) return true;
    if (!isBuiltinMetric(metric.name) || canary === undefined) return false;
    return (canary.spec.metricsServer ?? this.options.metricsServer) !== undefined;
  }

  async query(q: MetricQuery): Promise<number | undefined> {
    const { canary, metric } = q;
    if (metric.templateRef !== undefined) {
      const ns = metric.templateRef.namespace ?? canary.metadata.namespace;
      const template = this.options.store.get<MetricTemplate>('MetricTemplate', ns, metric.templateRef.name);
      if (!template) throw new Error(`MetricTemplate ${ns}/${metric.templateRef.name} not found`);
      const provider = template.spec.provider;
      if (provider.type !== 'prometheus') {
        throw new Error(
          `MetricTemplate ${ns}/${metric.templateRef.name}: provider type ${provider.type} is not supported (Weir queries prometheus only)`,
        );
      }
      const address = provider.address || this.metricsServer(canary);
      if (!address) {
        throw new Error(
          `MetricTemplate ${ns}/${metric.templateRef.name} has no provider.address and canary ${canary.metadata.namespace}/${canary.metadata.name} sets no spec.metricsServer`,
        );
      }
      const headers: Record<string, string[]> = {};
      for (const [k, values] of Object.entries(provider.headers ?? {})) headers[k.toLowerCase()] = [...values];
      if (provider.secretRef) Object.assign(headers, this.credentials(ns, provider.secretRef.name));
      const query = renderMetricTemplate(template.spec.query, metricTemplateModel(canary, metric));
      return this.run(query, { address, headers, insecureSkipVerify: provider.insecureSkipVerify === true });
    }
    const address = this.metricsServer(canary);
    if (metric.query !== undefined) {
      if (!address) throw new Error(this.noServer(canary, `metric ${metric.name} has an inline query`));
      return this.run(metric.query, { address, headers: {}, insecureSkipVerify: false });
    }
    const builtin = LINKERD_BUILTIN_QUERIES[metric.name];
    if (builtin === undefined) {
      throw new Error(`metric ${metric.name} has neither templateRef nor query and is not a builtin metric`);
    }
    if (!address) throw new Error(this.noServer(canary, `builtin metric ${metric.name} is read from Prometheus`));
    return this.run(renderMetricTemplate(builtin, metricTemplateModel(canary, metric)), {
      address,
      headers: {},
      insecureSkipVerify: false,
    });
  }

  /** Run one instant query (exposed for the CLI and tests). */
  async run(query: string, connection: PrometheusConnection): Promise<number | undefined> {
    const url = queryUrl(connection.address, query);
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? PROMETHEUS_TIMEOUT_MS);
    let dispatcher: Dispatcher | undefined;
    if (connection.insecureSkipVerify && url.protocol === 'https:') {
      this.insecureAgent ??= new Agent({ connect: { rejectUnauthorized: false } });
      dispatcher = this.insecureAgent;
    }
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...connection.headers },
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const reason = signal.aborted
        ? `timed out after ${this.options.timeoutMs ?? PROMETHEUS_TIMEOUT_MS} ms`
        : err instanceof Error
          ? err.message || err.name
          : String(err);
      throw new Error(`prometheus query to ${url.origin} failed: ${reason}`);
    }
    if (status >= 400) {
      throw new Error(`prometheus ${url.origin}: HTTP ${status}: ${text.trim().slice(0, 500)}`);
    }
    let body: PrometheusResponse;
    try {
      body = JSON.parse(text) as PrometheusResponse;
    } catch {
      throw new Error(`prometheus ${url.origin}: the answer is not JSON: ${text.trim().slice(0, 200)}`);
    }
    return parseQueryResult(body);
  }

  private metricsServer(canary: Canary): string | undefined {
    return canary.spec.metricsServer || this.options.metricsServer;
  }

  private noServer(canary: Canary, what: string): string {
    return `${what} but canary ${canary.metadata.namespace}/${canary.metadata.name} sets no spec.metricsServer`;
  }

  /** Flagger: `token` -> Bearer; else `username` and `password` -> basic; else an error. */
  private credentials(namespace: string, name: string): Record<string, string[]> {
    const secret = this.options.store.get<Secret>('Secret', namespace, name);
    if (!secret) throw new Error(`Secret ${namespace}/${name} (MetricTemplate provider.secretRef) not found`);
    const token = secretValue(secret, 'token');
    if (token !== undefined && token !== '') return { authorization: [`Bearer ${token}`] };
    const username = secretValue(secret, 'username');
    const password = secretValue(secret, 'password');
    if (username !== undefined && password !== undefined) {
      return { authorization: [`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`] };
    }
    throw new Error(`Secret ${namespace}/${name} has neither a token nor a username and a password`);
  }

  async close(): Promise<void> {
    const agent = this.insecureAgent;
    this.insecureAgent = undefined;
    await agent?.close();
  }
}
