import { expectOk, send } from './http.js';
import { credential, joinPath, requireAddress, type MetricQueryRunner, type ProviderConfig } from './types.js';

/** Flagger asks for the last ten metric intervals (`signalFxFromDeltaMultiplierOnMetricInterval`). */
const FROM_DELTA_INTERVALS = 10;

interface SignalFlowData {
  data?: Array<{ tsId?: string; value?: number | null }>;
}

/** The events of a `text/event-stream` body: `event:` name and the `data:` lines joined. */
export function serverSentEvents(text: string): Array<{ event: string; data: string }> {
  const out: Array<{ event: string; data: string }> = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) out.push({ event, data: data.join('\n') });
  }
  return out;
}

/**
 * Flagger's `splunk` provider (`pkg/metrics/providers/splunk.go`, Splunk Observability / SignalFx): the query
 * is a SignalFlow program run over `[now - 10 x interval, now]` with `immediate`, authenticated by
 * `X-SF-Token` (Secret key `sf_token_key`). The endpoint is `spec.provider.address` with `api` replaced by
 * `stream` (`https://api.us1.signalfx.com` -> `https://stream.us1.signalfx.com`), as Flagger derives it.
 * The value is the last non-null data point; points of more than one time series are an error (Flagger:
 * multiple values returned); none is no data.
 *
 * Difference: Flagger runs the program over SignalFlow's WebSocket; Weir uses the same computation's HTTP
 * endpoint, `POST /v2/signalflow/execute` (a `text/event-stream` of `data` messages).
 */
export function splunk(config: ProviderConfig): MetricQueryRunner {
  const api = requireAddress(config);
  const token = credential(config, 'sf_token_key');
  const stream = new URL(api.href.replace('api', 'stream'));
  const fromDelta = FROM_DELTA_INTERVALS * config.intervalMs;
  return {
    async run(query) {
      const now = config.now.getTime();
      const url = joinPath(stream, '/v2/signalflow/execute');
      url.searchParams.set('start', String(now - fromDelta));
      url.searchParams.set('stop', String(now));
      url.searchParams.set('immediate', 'true');
      const res = await send('splunk', {
        method: 'POST',
        url,
        headers: { 'X-SF-Token': token, 'content-type': 'text/plain', accept: 'text/event-stream' },
        body: query,
        timeoutMs: config.timeoutMs ?? 5_000,
        insecureSkipVerify: config.insecureSkipVerify,
      });
      const points: Array<{ tsId: string; value: number }> = [];
      for (const e of serverSentEvents(expectOk('splunk', res))) {
        if (e.event === 'error') throw new Error(`splunk: error executing query: ${e.data.slice(0, 300)}`);
        if (e.event !== 'data') continue;
        const msg = JSON.parse(e.data) as SignalFlowData;
        for (const p of msg.data ?? []) {
          if (typeof p.value === 'number') points.push({ tsId: p.tsId ?? '', value: p.value });
        }
      }
      if (points.length === 0) return undefined;
      if (new Set(points.map((p) => p.tsId)).size > 1) {
        throw new Error(
          'splunk: invalid response: multiple values returned (the program must produce one time series)',
        );
      }
      return points[points.length - 1]!.value;
    },
  };
}
