import type { HTTPRouteFilter } from '../resources/index.js';

type CorsFilter = NonNullable<HTTPRouteFilter['cors']>;

/**
 * A compiled Gateway API `CORS` filter (HTTPCORSFilter, Extended; conformance test HTTPRouteCORS).
 *
 * - An origin is allowed when it equals one of `allowOrigins`, or matches one with `*` wildcards (`*`
 *   stands for any run of characters, dots included: `https://*.bar.com` allows
 *   `https://xpto.www.bar.com`; `*` alone allows every origin).
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered by the proxy
 *   itself with 200: for an allowed origin with `Access-Control-Allow-Origin` (the origin, echoed),
 *   `-Allow-Methods`, `-Allow-Headers`, `-Expose-Headers`, `-Max-Age` and, with `allowCredentials`,
 *   `-Allow-Credentials: true`; for any other origin with none of them (the browser then refuses).
 * - Any other request from an allowed origin goes on, and its response gets `-Allow-Origin`,
 *   `-Allow-Credentials` and `-Expose-Headers`.
 * - A `*` in `allowMethods` or `allowHeaders` is answered with what the preflight asked for when
 *   credentials are allowed (browsers do not honour a literal `*` then), else with `*`.
 * Every answer that depends on the origin says `Vary: Origin`, so that caches keep them apart.
 */
export class CompiledCors {
  private readonly exact: ReadonlySet<string>;
  private readonly patterns: readonly RegExp[];
  private readonly anyOrigin: boolean;
  private readonly methods: string;
  private readonly anyMethod: boolean;
  private readonly headers: string;
  private readonly anyHeader: boolean;
  private readonly expose: string;
  private readonly credentials: boolean;
  private readonly maxAge: string;

  constructor(f: CorsFilter) {
    const origins = f.allowOrigins ?? [];
    this.anyOrigin = origins.includes('*');
    this.exact = new Set(origins.filter((o) => !o.includes('*')).map((o) => o.toLowerCase()));
    this.patterns = origins
      .filter((o) => o.includes('*') && o !== '*')
      .map((o) => new RegExp(`^${o.split('*').map(escapeRegex).join('.*')}$`, 'i'));
    const methods = f.allowMethods ?? [];
    this.anyMethod = methods.includes('*');
    this.methods = methods.join(', ');
    const headers = f.allowHeaders ?? [];
    this.anyHeader = headers.includes('*');
    this.headers = headers.join(', ');
    this.expose = (f.exposeHeaders ?? []).join(', ');
    this.credentials = f.allowCredentials === true;
    this.maxAge = String(f.maxAge ?? 5);
  }

  /** the request's `Origin` is one this filter lets in */
  allows(origin: string): boolean {
    if (this.anyOrigin) return true;
    if (this.exact.has(origin.toLowerCase())) return true;
    for (const p of this.patterns) if (p.test(origin)) return true;
    return false;
  }

  /**
   * The answer to a preflight, as header lines `[name, value, ...]`: empty of CORS headers (but for
   * `Vary`) when the origin is not allowed.
   */
  preflight(origin: string, requestMethod: string, requestHeaders: string | undefined): string[] {
    const out = ['vary', 'Origin'];
    if (!this.allows(origin)) return out;
    out.push('access-control-allow-origin', origin);
    const methods = this.anyMethod ? (this.credentials ? requestMethod : '*') : this.methods;
    if (methods !== '') out.push('access-control-allow-methods', methods);
    const headers = this.anyHeader ? (this.credentials ? (requestHeaders ?? '') : '*') : this.headers;
    if (headers !== '') out.push('access-control-allow-headers', headers);
    if (this.expose !== '') out.push('access-control-expose-headers', this.expose);
    out.push('access-control-max-age', this.maxAge);
    if (this.credentials) out.push('access-control-allow-credentials', 'true');
    return out;
  }

  /** the header lines added to the response of a request (not a preflight) from `origin` */
  response(origin: string): string[] {
    if (!this.allows(origin)) return ['vary', 'Origin'];
    const out = ['vary', 'Origin', 'access-control-allow-origin', origin];
    if (this.credentials) out.push('access-control-allow-credentials', 'true');
    if (this.expose !== '') out.push('access-control-expose-headers', this.expose);
    return out;
  }

  /** as `/config` shows it */
  describe(): Record<string, unknown> {
    return {
      allowOrigins: [...(this.anyOrigin ? ['*'] : []), ...this.exact, ...this.patterns.map((p) => p.source)],
      ...(this.methods !== '' ? { allowMethods: this.methods } : {}),
      ...(this.headers !== '' ? { allowHeaders: this.headers } : {}),
      ...(this.expose !== '' ? { exposeHeaders: this.expose } : {}),
      allowCredentials: this.credentials,
      maxAge: Number(this.maxAge),
    };
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
