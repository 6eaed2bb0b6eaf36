import { expectOk, send } from './http.js';
import { kubeApi } from './kube-api.js';
import { joinPath, parseJson, type MetricQueryRunner, type ProviderConfig } from './types.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity (`1500m`, `2k`, `1Gi`, `1e3`) as a number (`AsApproximateFloat64`). */
export function parseQuantity(q: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/.exec(q.trim());
  if (!m) throw new Error(`externalmetrics: ${JSON.stringify(q)} is not a quantity`);
  if (m[2] !== undefined) return Number(`${m[1]}${m[2]}`);
  return Number(m[1]) * SUFFIX[m[3] ?? '']!;
}

/** Flagger's query `<namespace>/<metricName>?labelSelector=<selector>` (namespace default `default`). */
export function parseExternalMetricsQuery(query: string): { namespace: string; metric: string; selector?: string } {
  const url = new URL(`dummy:///${query.trim()}`);
  const parts = url.pathname.replace(/^\//, '').split('/');
  if (parts.length > 2) {
    throw new Error(
      `externalmetrics: malformed query string, too many slashes, expected <namespace>/<metricName>?labelSelector=<urlencoded label selectors>, got ${query}`,
    );
  }
  const metric = parts.length === 2 ? parts[1]! : parts[0]!;
  const namespace = parts.length === 2 && parts[0] ? parts[0] : 'default';
  if (!metric) throw new Error('externalmetrics: metric name cannot be empty');
  const selector = url.searchParams.get('labelSelector') || undefined;
  return { namespace, metric, ...(selector ? { selector } : {}) };
}

/**
 * Flagger's `externalmetrics` provider (`pkg/metrics/providers/externalmetrics.go`): the Kubernetes external
 * metrics API, `GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>?labelSelector=...`,
 * on `spec.provider.address` or in-cluster, bearer token from the Secret's `token`. The value is the first
 * item's quantity; no items is no data.
 */
export function externalmetrics(config: ProviderConfig): MetricQueryRunner {
  const api = kubeApi(config);
  return {
    async run(query) {
      const q = parseExternalMetricsQuery(query);
      const url = joinPath(
        api.base,
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(q.namespace)}/${encodeURIComponent(q.metric)}`,
      );
      if (q.selector) url.searchParams.set('labelSelector', q.selector);
      const res = await send('externalmetrics', {
        url,
        headers: api.headers,
        timeoutMs: config.timeoutMs ?? 5_000,
        insecureSkipVerify: config.insecureSkipVerify,
      });
      const list = parseJson<{ items?: Array<{ value?: string }> }>(
        'externalmetrics',
        expectOk('externalmetrics', res),
      );
      const value = list.items?.[0]?.value;
      return value === undefined ? undefined : parseQuantity(value);
    },
  };
}
