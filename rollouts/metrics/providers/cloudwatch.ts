import aws4 from 'aws4';
import { XMLParser } from 'fast-xml-parser';
import { send } from './http.js';
import { type MetricQueryRunner, type ProviderConfig } from './types.js';

/** Flagger asks for the last ten metric intervals (`cloudWatchStartDeltaMultiplierOnMetricInterval`). */
const START_DELTA_INTERVALS = 10;

/**
 * A value of the JSON query in the AWS Query protocol's form encoding: objects by member name, lists as
 * `.member.N` from 1, booleans as `true`/`false` (`MetricDataQueries.member.1.MetricStat.Metric.Dimensions.
 * member.1.Name=...`).
 */
export function flattenQuery(prefix: string, value: unknown, out: Array<[string, string]>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => flattenQuery(`${prefix}.member.${i + 1}`, v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenQuery(`${prefix}.${k}`, v, out);
  } else {
    out.push([prefix, String(value)]);
  }
}

const xml = new XMLParser({ isArray: (name) => name === 'member', parseTagValue: false });

interface MetricDataResult {
  Id?: string;
  Values?: { member?: string[] } | '';
}

/**
 * Flagger's `cloudwatch` provider (`pkg/metrics/providers/cloudwatch.go`): the query is the JSON list of
 * `MetricDataQuery` objects (Go SDK field names: `Id`, `Expression`, `MetricStat`, `ReturnData`...), sent
 * as `GetMetricData` (StartTime = now - 10 x interval, EndTime = now, MaxDatapoints 20) to
 * `monitoring.<spec.provider.region>.amazonaws.com` in the AWS Query protocol, signed with Signature V4.
 * The value is the first value of the first result; none is no data.
 *
 * Credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN` from the
 * environment, the first link of the AWS SDK's default chain that Flagger uses (shared files, IRSA and
 * instance metadata are not read). `spec.provider.address`, when set, replaces the regional endpoint.
 */
export function cloudwatch(config: ProviderConfig): MetricQueryRunner {
  const region = config.region;
  if (!region) throw new Error('cloudwatch region not specified: spec.provider.region is required');
  const env = config.env ?? process.env;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('cloudwatch: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const endpoint = new URL(config.address || `https://monitoring.${region}.amazonaws.com/`);
  return {
    async run(query) {
      let queries: unknown;
      try {
        queries = JSON.parse(query);
      } catch (err) {
        throw new Error(`cloudwatch: error unmarshaling query: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!Array.isArray(queries)) throw new Error('cloudwatch: the query must be a JSON list of MetricDataQuery');
      const end = new Date(Math.floor(config.now.getTime() / 1000) * 1000);
      const start = new Date(end.getTime() - START_DELTA_INTERVALS * config.intervalMs);
      const form: Array<[string, string]> = [
        ['Action', 'GetMetricData'],
        ['Version', '2010-08-01'],
        ['StartTime', start.toISOString().replace('.000Z', 'Z')],
        ['EndTime', end.toISOString().replace('.000Z', 'Z')],
        ['MaxDatapoints', '20'],
      ];
      flattenQuery('MetricDataQueries', queries, form);
      const body = new URLSearchParams(form).toString();
      const signed = aws4.sign(
        {
          host: endpoint.host,
          path: endpoint.pathname,
          method: 'POST',
          service: 'monitoring',
          region,
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        },
        { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      );
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed.headers ?? {})) {
        if (k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length') headers[k] = String(v);
      }
      const res = await send('cloudwatch', {
        method: 'POST',
        url: endpoint,
        headers,
        body,
        timeoutMs: config.timeoutMs ?? 10_000,
        insecureSkipVerify: config.insecureSkipVerify,
      });
      const doc = xml.parse(res.text) as {
        ErrorResponse?: { Error?: { Code?: string; Message?: string } };
        GetMetricDataResponse?: { GetMetricDataResult?: { MetricDataResults?: { member?: MetricDataResult[] } | '' } };
      };
      if (res.status !== 200) {
        const e = doc.ErrorResponse?.Error;
        throw new Error(
          `cloudwatch: error requesting cloudwatch: HTTP ${res.status}: ${e ? `${e.Code}: ${e.Message}` : res.text.slice(0, 300)}`,
        );
      }
      const results = doc.GetMetricDataResponse?.GetMetricDataResult?.MetricDataResults;
      const first = typeof results === 'object' ? results.member?.[0] : undefined;
      const values = first?.Values;
      const v = typeof values === 'object' ? values.member?.[0] : undefined;
      if (v === undefined) return undefined;
      const n = Number(v);
      if (Number.isNaN(n)) throw new Error(`cloudwatch: invalid value ${JSON.stringify(v)}`);
      return n;
    },
  };
}
