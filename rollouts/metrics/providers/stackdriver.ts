import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expectOk, send } from './http.js';
import { credential, joinPath, parseJson, type MetricQueryRunner, type ProviderConfig } from './types.js';

const DEFAULT_HOST = 'https://monitoring.googleapis.com';
const SCOPE = 'https://www.googleapis.com/auth/monitoring.read';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** access tokens by service account and token endpoint, until a minute before they expire */
const tokens = new Map<string, CachedToken>();

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/**
 * An OAuth 2.0 access token for a service account key (Google's "OAuth 2.0 for Server to Server
 * Applications"): a JWT signed RS256 with the key, exchanged at the key's `token_uri`.
 */
async function accessToken(key: ServiceAccountKey, now: Date, timeoutMs: number): Promise<string> {
  if (!key.client_email || !key.private_key) {
    throw new Error('stackdriver: the service account key has no client_email or private_key');
  }
  const tokenUri = key.token_uri || DEFAULT_TOKEN_URI;
  const cacheKey = `${key.client_email} ${tokenUri}`;
  const cached = tokens.get(cacheKey);
  if (cached && cached.expiresAt - 60_000 > now.getTime()) return cached.token;
  const iat = Math.floor(now.getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const claims = { iss: key.client_email, scope: SCOPE, aud: tokenUri, iat, exp: iat + 3600 };
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key);
  const res = await send('stackdriver', {
    method: 'POST',
    url: new URL(tokenUri),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${b64url(signature)}`,
    }).toString(),
    timeoutMs,
  });
  const body = parseJson<{ access_token?: string; expires_in?: number }>(
    'stackdriver',
    expectOk('stackdriver token', res),
  );
  if (!body.access_token) throw new Error('stackdriver: the token endpoint answered no access_token');
  tokens.set(cacheKey, { token: body.access_token, expiresAt: now.getTime() + (body.expires_in ?? 3600) * 1000 });
  return body.access_token;
}

interface QueryResponse {
  timeSeriesData?: Array<{
    pointData?: Array<{ values?: Array<{ doubleValue?: number; int64Value?: string; boolValue?: boolean }> }>;
  }>;
}

/**
 * Flagger's `stackdriver` provider (`pkg/metrics/providers/stackdriver.go`): Cloud Monitoring's MQL
 * `QueryTimeSeries`, here over its REST form `POST {address}/v3/projects/{project}/timeSeries:query` with
 * `{"query": ...}`. The Secret gives `project` and `serviceAccountKey` (a service account JSON key); without
 * the key, `GOOGLE_APPLICATION_CREDENTIALS` names the key file (Application Default Credentials' first
 * source; the metadata server is not asked). The value is the first value of the first point of the first
 * series, read as Flagger's `GetDoubleValue`; no series or points is no data.
 */
export function stackdriver(config: ProviderConfig): MetricQueryRunner {
  const project = credential(config, 'project');
  const env = config.env ?? process.env;
  let keyJson = config.credentials?.serviceAccountKey;
  if (keyJson === undefined) {
    const file = env.GOOGLE_APPLICATION_CREDENTIALS;
    if (!file) {
      throw new Error(
        'stackdriver: no credentials: the Secret has no serviceAccountKey and GOOGLE_APPLICATION_CREDENTIALS is not set',
      );
    }
    keyJson = readFileSync(file, 'utf8');
  }
  const key = parseJson<ServiceAccountKey>('stackdriver serviceAccountKey', keyJson);
  const base = config.address || DEFAULT_HOST;
  const timeoutMs = config.timeoutMs ?? 10_000;
  return {
    async run(query) {
      const token = await accessToken(key, config.now, timeoutMs);
      const res = await send('stackdriver', {
        method: 'POST',
        url: joinPath(base, `/v3/projects/${encodeURIComponent(project)}/timeSeries:query`),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
        timeoutMs,
      });
      const body = parseJson<QueryResponse>('stackdriver', expectOk('stackdriver', res));
      const value = body.timeSeriesData?.[0]?.pointData?.[0]?.values?.[0];
      if (value === undefined) return undefined;
      return value.doubleValue ?? 0;
    },
  };
}
