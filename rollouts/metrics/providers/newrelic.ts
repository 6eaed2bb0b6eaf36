import { expectOk, send } from './http.js';
import { credential, joinPath, parseJson, type MetricQueryRunner, type ProviderConfig } from './types.js';

const DEFAULT_HOST = 'https://insights-api.newrelic.com';

interface NewRelicResponse {
  results?: Array<{ result?: number | null }>;
}

/**
 * Flagger's `newrelic` provider (`pkg/metrics/providers/newrelic.go`), the Insights query API:
 * `GET {address}/v1/accounts/{newrelic_account_id}/query?nrql=<query> SINCE <interval s> seconds ago` with
 * the header `X-Query-Key` (Secret key `newrelic_query_key`). The query names its value `result`
 * (`SELECT ... AS result`); exactly one result with a value, else no data.
 */
export function newrelic(config: ProviderConfig): MetricQueryRunner {
  const accountId = credential(config, 'newrelic_account_id');
  const queryKey = credential(config, 'newrelic_query_key');
  const base = config.address || DEFAULT_HOST;
  const since = Math.trunc(config.intervalMs / 1000);
  return {
    async run(query) {
      const url = joinPath(base, `/v1/accounts/${encodeURIComponent(accountId)}/query`);
      url.searchParams.set('nrql', `${query} SINCE ${since} seconds ago`);
      const res = await send('newrelic', {
        url,
        headers: { 'X-Query-Key': queryKey },
        timeoutMs: config.timeoutMs ?? 5_000,
      });
      const body = parseJson<NewRelicResponse>('newrelic', expectOk('newrelic', res));
      if (body.results?.length !== 1) return undefined;
      const value = body.results[0]?.result;
      return typeof value === 'number' ? value : undefined;
    },
  };
}
