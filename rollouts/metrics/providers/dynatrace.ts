import { expectOk, send } from './http.js';
import {
  credential,
  joinPath,
  parseJson,
  requireAddress,
  type MetricQueryRunner,
  type ProviderConfig,
} from './types.js';

/** Flagger asks for the last ten metric intervals (`dynatraceDeltaMultiplierOnMetricInterval`). */
const FROM_DELTA_INTERVALS = 10;

interface DynatraceResponse {
  result?: Array<{ data?: Array<{ values?: Array<number | null> }> }>;
}

/**
 * Flagger's `dynatrace` provider (`pkg/metrics/providers/dynatrace.go`), the Metrics API v2:
 * `GET {address}/api/v2/metrics/query?metricSelector=<query>&resolution=Inf&from=<ms>&to=<ms>` (from = now -
 * 10 x interval) with `Authorization: Api-Token <dynatrace_token>`. The value is the first value of the last
 * data series of the first result.
 */
export function dynatrace(config: ProviderConfig): MetricQueryRunner {
  const base = requireAddress(config);
  const token = credential(config, 'dynatrace_token');
  const fromDelta = FROM_DELTA_INTERVALS * config.intervalMs;
  return {
    async run(query) {
      const url = joinPath(base, '/api/v2/metrics/query');
      const now = Math.floor(config.now.getTime() / 1000) * 1000;
      url.searchParams.set('metricSelector', query);
      url.searchParams.set('resolution', 'Inf');
      url.searchParams.set('from', String(now - fromDelta));
      url.searchParams.set('to', String(now));
      const res = await send('dynatrace', {
        url,
        headers: { Authorization: `Api-Token ${token}` },
        timeoutMs: config.timeoutMs ?? 5_000,
      });
      const body = parseJson<DynatraceResponse>('dynatrace', expectOk('dynatrace', res));
      const data = body.result?.[0]?.data ?? [];
      const value = data[data.length - 1]?.values?.[0];
      return typeof value === 'number' ? value : undefined;
    },
  };
}
