import { pathEnd } from './request.js';
import { modifyPath, type PathModifier } from './rewrite.js';

/** The part of a request a redirect reads. */
export interface RedirectSource {
  /** origin-form request target: path and optional `?query` */
  readonly url: string;
  /** the request's Host header (may carry a port); undefined when absent */
  readonly host: string | undefined;
  /** the scheme the client used */
  readonly scheme: 'http' | 'https';
  /** the port the client dialled (for the mesh: the Service port of the listener) */
  readonly port: number;
  /** hostname to use when the request has no Host header */
  readonly fallbackHost: string;
}

const WELL_KNOWN: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** The hostname of a Host header value, without its port (`[::1]:80` -> `[::1]`). */
export function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    return close < 0 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/**
 * A compiled RequestRedirect filter. `Location` = `scheme://hostname[:port]path[?query]`:
 * - scheme: the filter's, else the request's;
 * - hostname: the filter's, else the request's Host without its port;
 * - port: the filter's; else, when the filter sets a scheme, that scheme's well-known port; else the
 *   port the client dialled. The port is left out for http:80 and https:443;
 * - path: unchanged, or replaced by the path modifier; the query is kept.
 */
export class CompiledRedirect {
  constructor(
    readonly statusCode: number,
    readonly scheme: 'http' | 'https' | undefined,
    readonly hostname: string | undefined,
    readonly port: number | undefined,
    readonly path: PathModifier | undefined,
  ) {}

  location(src: RedirectSource): string {
    const scheme = this.scheme ?? src.scheme;
    const hostname = this.hostname ?? (src.host ? hostWithoutPort(src.host) : src.fallbackHost);
    const port = this.port ?? (this.scheme !== undefined ? (WELL_KNOWN[scheme] as number) : src.port);
    const portPart = port === WELL_KNOWN[scheme] ? '' : `:${port}`;
    const url = src.url;
    let target = url;
    if (this.path !== undefined) {
      const end = pathEnd(url);
      target = modifyPath(url.slice(0, end), this.path) + url.slice(end);
    }
    return `${scheme}://${hostname}${portPart}${target}`;
  }

  describe(): Record<string, unknown> {
    return {
      statusCode: this.statusCode,
      ...(this.scheme !== undefined ? { scheme: this.scheme } : {}),
      ...(this.hostname !== undefined ? { hostname: this.hostname } : {}),
      ...(this.port !== undefined ? { port: this.port } : {}),
      ...(this.path !== undefined ? { path: this.path } : {}),
    };
  }
}
