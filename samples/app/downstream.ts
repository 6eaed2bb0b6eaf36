// DOWNSTREAM_URL: the app calls this URL once per request to `/` and reports who answered. The call goes
// through HTTP_PROXY when the environment has one (a sidecar's forward proxy), as a proxied HTTP client does:
// the absolute URL as the request target, sent to the proxy. Node built-ins only.
import { request } from 'node:http';

/** what the app reports about its downstream call, in its own answer (`downstream`) */
export interface DownstreamAnswer {
  status: number;
  /** the downstream's `x-version` header */
  version?: string;
  /** the downstream's `hostname` (its pod), from its JSON body */
  hostname?: string;
  error?: string;
}

const TIMEOUT_MS = 10_000;

/** one GET of `url`, through `proxy` (`http://host:port`) when given */
export function callDownstream(url: string, proxy: string | undefined): Promise<DownstreamAnswer> {
  const target = new URL(url);
  const via = proxy !== undefined && proxy !== '' ? new URL(proxy) : undefined;
  return new Promise((resolve) => {
    const req = request(
      {
        host: via?.hostname ?? target.hostname,
        port: Number(via?.port || target.port || 80),
        method: 'GET',
        // a forward proxy is sent the absolute URL (RFC 9112 absolute-form)
        path: via !== undefined ? target.href : `${target.pathname}${target.search}`,
        headers: { host: target.host },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const version = res.headers['x-version'];
          let hostname: string | undefined;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { hostname?: unknown };
            if (typeof body.hostname === 'string') hostname = body.hostname;
          } catch {
            // not JSON: no hostname
          }
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof version === 'string' ? { version } : {}),
            ...(hostname !== undefined ? { hostname } : {}),
          });
        });
        res.on('error', (err) => resolve({ status: 0, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
}
