import { randomBytes } from 'node:crypto';
import { expectOk, send } from './http.js';
import { kubeApi } from './kube-api.js';
import { joinPath, parseJson, type MetricQueryRunner, type ProviderConfig } from './types.js';

const GROUP_VERSION = '/apis/metrics.keptn.sh/v1beta1';
/** Flagger waits at most 10 s for an Analysis, asking every second. */
const ANALYSIS_TIMEOUT_MS = 10_000;
const POLL_MS = 1_000;

export interface KeptnQuery {
  resource: 'keptnmetrics' | 'analyses';
  namespace: string;
  name: string;
  /** Analysis `timeframe.recent` (default 1m) */
  duration: string;
  /** Analysis `args` */
  args: Record<string, string>;
}

/**
 * Flagger's `parseQuery`: `<keptnmetric|analysis>/<namespace>/<name>[/<duration>[/<k=v;k=v>]]`, lowercased.
 */
export function parseKeptnQuery(query: string): KeptnQuery {
  const parts = query.toLowerCase().replace(/\n$/, '').trim().split('/');
  if (parts.length < 3) {
    throw new Error(
      'keptn: unexpected query format. query must be in the format <keptnmetric|analysis>/<namespace>/<resourceName>/<duration>/<arguments>',
    );
  }
  const out: KeptnQuery = { resource: 'keptnmetrics', namespace: parts[1]!, name: parts[2]!, duration: '', args: {} };
  switch (parts[0]) {
    case 'keptnmetric':
    case 'keptnmetrics':
      break;
    case 'analysis':
    case 'analyses':
      out.resource = 'analyses';
      out.duration = parts[3] ?? '1m';
      for (const kv of (parts[4] ?? '').split(';')) {
        const pair = kv.split('=');
        if (pair.length === 2) out.args[pair[0]!] = pair[1]!;
      }
      break;
    default:
      throw new Error(
        "keptn: unexpected resource kind provided in the query. must be one of: ['keptnmetric', 'analysis']",
      );
  }
  return out;
}

/**
 * Flagger's `keptn` provider (`pkg/metrics/providers/keptn.go`) over the Kubernetes API: a `keptnmetric`
 * query reads `status.value` of the KeptnMetric; an `analysis` query creates an Analysis of the named
 * AnalysisDefinition (`timeframe.recent` = the duration, `args`), waits up to 10 s for `status.state:
 * Completed` and answers 1 if `status.pass`, else 0, then deletes it.
 */
export function keptn(config: ProviderConfig, pollMs = POLL_MS): MetricQueryRunner {
  const api = kubeApi(config);
  const timeoutMs = config.timeoutMs ?? 5_000;
  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    send('keptn', {
      method,
      url: joinPath(api.base, path),
      headers: { ...api.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs,
      insecureSkipVerify: config.insecureSkipVerify,
    });
  return {
    async run(query) {
      const q = parseKeptnQuery(query);
      const collection = `${GROUP_VERSION}/namespaces/${encodeURIComponent(q.namespace)}/${q.resource}`;
      if (q.resource === 'keptnmetrics') {
        const res = await call('GET', `${collection}/${encodeURIComponent(q.name)}`);
        if (res.status !== 200) {
          throw new Error(`keptn: could not retrieve KeptnMetric ${q.namespace}/${q.name}: HTTP ${res.status}`);
        }
        const metric = parseJson<{ status?: { value?: unknown } }>('keptn', res.text);
        const value = metric.status?.value;
        if (typeof value !== 'string') {
          throw new Error(
            `keptn: could not retrieve KeptnMetric - no value found in resource ${q.namespace}/${q.name}`,
          );
        }
        const n = Number(value);
        if (value.trim() === '' || Number.isNaN(n)) {
          throw new Error(`keptn: could not parse value of KeptnMetric ${q.namespace}/${q.name} to float: ${value}`);
        }
        return n;
      }
      const name = `${q.name}-${randomBytes(3).toString('hex')}`;
      const created = await call('POST', collection, {
        apiVersion: 'metrics.keptn.sh/v1beta1',
        kind: 'Analysis',
        metadata: { name, namespace: q.namespace },
        spec: { analysisDefinition: { name: q.name }, timeframe: { recent: q.duration }, args: q.args },
      });
      expectOk('keptn', created, [200, 201, 202]);
      try {
        const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, pollMs));
          const res = await call('GET', `${collection}/${name}`);
          const a = parseJson<{ status?: { state?: string; pass?: boolean } }>('keptn', expectOk('keptn', res));
          if (a.status?.state === 'Completed' && typeof a.status.pass === 'boolean') return a.status.pass ? 1 : 0;
        }
        throw new Error(
          `keptn: encountered timeout while waiting for Keptn Analysis ${q.namespace}/${q.name} to be finished`,
        );
      } finally {
        await call('DELETE', `${collection}/${name}`).catch(() => undefined);
      }
    },
  };
}
