import { send } from './http.js';
import {
  credential,
  joinPath,
  parseJson,
  requireAddress,
  type MetricQueryRunner,
  type ProviderConfig,
} from './types.js';

type DataPoint = [number | string | null, number | string | null];

/** A datapoint's value as Flagger reads it: a number, a numeric string, or null (none). */
function pointValue(v: DataPoint[0]): number | undefined {
  if (v === null) return undefined;
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new Error(`graphite: error unmarshaling value: ${JSON.stringify(v)}`);
  return n;
}

/**
 * Flagger's `graphite` provider (`pkg/metrics/providers/graphite.go`), the Render API:
 * `GET {address}/render?<query>&format=json` (the query is the render parameters, e.g.
 * `target=summarize(...)&from=-1min`; whitespace collapsed; parameters re-encoded sorted by name, as Go's
 * `url.Values.Encode`), with basic auth from the Secret's `username` and `password` when there is a
 * `secretRef`. The value is the last non-null datapoint of all the returned series; none is no data; an
 * HTTP status of 400 or more is an error.
 */
export function graphite(config: ProviderConfig): MetricQueryRunner {
  const base = requireAddress(config);
  const headers: Record<string, string> = {};
  if (config.credentials !== undefined) {
    const user = credential(config, 'username');
    const password = credential(config, 'password');
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return {
    async run(query) {
      const params = new URLSearchParams(query.replace(/\s+/g, ' ').trim());
      params.set('format', 'json');
      params.sort();
      const url = joinPath(base, '/render');
      url.search = params.toString();
      const res = await send('graphite', {
        url,
        headers,
        timeoutMs: config.timeoutMs ?? 5_000,
        insecureSkipVerify: config.insecureSkipVerify,
      });
      if (res.status >= 400)
        throw new Error(`graphite: error response: HTTP ${res.status}: ${res.text.trim().slice(0, 500)}`);
      const series = parseJson<Array<{ target?: string; datapoints?: DataPoint[] }>>('graphite', res.text);
      if (!Array.isArray(series)) throw new Error(`graphite: error unmarshaling result: '${res.text.slice(0, 200)}'`);
      let value: number | undefined;
      for (const s of series) {
        for (const point of s.datapoints ?? []) {
          if (!Array.isArray(point) || point.length !== 2) {
            throw new Error(`graphite: error unmarshaling data point: ${JSON.stringify(point)}`);
          }
          const v = pointValue(point[0]);
          if (v !== undefined) value = v;
        }
      }
      return value;
    },
  };
}
