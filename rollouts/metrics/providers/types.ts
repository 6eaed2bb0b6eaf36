import type { MetricProviderType } from '../../../engine/resources/index.js';

/**
 * What one MetricTemplate provider is built from (Flagger's `Factory.Provider(metricInterval, provider,
 * credentials, config)`): the template's `spec.provider`, the decoded data of its `secretRef` Secret, and the
 * metric's interval.
 */
export interface ProviderConfig {
  type: MetricProviderType;
  /** `spec.provider.address` (for prometheus: the template's, else the Canary's `metricsServer`) */
  address?: string | undefined;
  /** `spec.provider.headers` (prometheus only, as in Flagger) */
  headers: Record<string, string[]>;
  /** `spec.provider.region` (cloudwatch) */
  region?: string | undefined;
  insecureSkipVerify: boolean;
  /** the `secretRef` Secret's data, decoded to text; undefined when the template has no `secretRef` */
  credentials?: Record<string, string> | undefined;
  /** the metric's `interval` in milliseconds (default 1m): the query window of the time-range providers */
  intervalMs: number;
  /** when the query runs */
  now: Date;
  /** environment read for ambient credentials (AWS keys, in-cluster Kubernetes); default `process.env` */
  env?: NodeJS.ProcessEnv | undefined;
  /** overrides each provider's own request timeout (tests) */
  timeoutMs?: number | undefined;
}

/** One provider, ready to run queries: a value, or `undefined` for no data (Flagger `ErrNoValuesFound`). */
export interface MetricQueryRunner {
  run(query: string): Promise<number | undefined>;
}

/** One file per provider type exports one of these. */
export type ProviderFactory = (config: ProviderConfig) => MetricQueryRunner;

/** A required credential key, or an error worded as Flagger's. */
export function credential(config: ProviderConfig, key: string): string {
  const v = config.credentials?.[key];
  if (v === undefined) {
    throw new Error(
      config.credentials === undefined
        ? `${config.type} needs spec.provider.secretRef: a Secret with the key ${key}`
        : `${config.type} credentials does not contain ${key}`,
    );
  }
  return v;
}

/** `spec.provider.address` as an http(s) URL, or an error naming the field. */
export function requireAddress(config: ProviderConfig, what = 'endpoint'): URL {
  const address = config.address;
  if (address === undefined || address === '') {
    throw new Error(`${config.type} ${what} is not set: spec.provider.address is required`);
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`${config.type} address ${address} is not a valid URL (spec.provider.address)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${config.type} address ${address} is not an http(s) URL (spec.provider.address)`);
  }
  return url;
}

/** `address` + `path`, keeping a path prefix of the address (`http://h/prefix` + `/api/x`). */
export function joinPath(base: URL | string, path: string): URL {
  const url = new URL(typeof base === 'string' ? base : base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url;
}

/** A JSON body, or an error quoting the start of what came. */
export function parseJson<T>(type: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${type}: error unmarshaling result: '${text.trim().slice(0, 200)}'`);
  }
}
