import { expectOk, send } from './http.js';
import { credential, joinPath, parseJson, type MetricQueryRunner, type ProviderConfig } from './types.js';

const DEFAULT_HOST = 'https://api.datadoghq.com';
/** Flagger asks for the last ten metric intervals (`datadogFromDeltaMultiplierOnMetricInterval`). */
const FROM_DELTA_INTERVALS = 10;

interface DatadogResponse {
  series?: Array<{ pointlist?: Array<Array<number | null>> }>;
}

/**
 * Flagger's `datadog` provider (`pkg/metrics/providers/datadog.go`): `GET {address}/api/v1/query` with
 * `query`, `from` = now - 10 x interval and `to` = now (Unix seconds), authenticated by the headers
 * `DD-API-KEY` and `DD-APPLICATION-KEY` from the Secret keys `datadog_api_key` and `datadog_application_key`.
 * The value is the first point of the first series, as Flagger reads it; no series or points is no data.
 */
export function datadog(config: ProviderConfig): MetricQueryRunner {
  const apiKey = credential(config, 'datadog_api_key');
  const appKey = credential(config, 'datadog_application_key');
  const base = config.address || DEFAULT_HOST;
  const fromDelta = Math.trunc((FROM_DELTA_INTERVALS * config.intervalMs) / 1000);
  return {
    async run(query) {
      const url = joinPath(base, '/api/v1/query');
      const now = Math.floor(config.now.getTime() / 1000);
      url.searchParams.set('query', query);
      url.searchParams.set('from', String(now - fromDelta));
      url.searchParams.set('to', String(now));
      const res = await send('datadog', {
        url,
        headers: { 'DD-API-KEY': apiKey, 'DD-APPLICATION-KEY': appKey },
        timeoutMs: config.timeoutMs ?? 5_000,
      });
      const body = parseJson<DatadogResponse>('datadog', expectOk('datadog', res));
      const value = body.series?.[0]?.pointlist?.[0]?.[1];
      return typeof value === 'number' ? value : undefined;
    },
  };
}
