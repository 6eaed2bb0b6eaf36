/**
 * What the matcher reads from a request. Node's `IncomingMessage` fits this shape as it is, so the proxy
 * passes its request without copying anything; `headers` is only read when a match tests headers.
 */
export interface RoutableRequest {
  /** upper-case method token */
  readonly method?: string | undefined;
  /** origin-form request target: path and optional `?query`, exactly as received */
  readonly url?: string | undefined;
  /** header values by lower-case name; repeated headers comma-joined (Node does this) or given as a list */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Index of the end of the path in a request target (the first `?` or `#`, else its length). */
export function pathEnd(url: string): number {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return url.length;
}

function decodeQueryPart(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/**
 * Query parameters of a request target, parsed once and only when a match asks for them. Names are
 * case-sensitive; when a parameter repeats, the first value wins (Gateway API recommendation).
 */
export class LazyQuery {
  private url = '';
  private start = -1;
  private params: Map<string, string> | undefined;

  reset(url: string, pathEndIndex: number): void {
    this.url = url;
    this.start = pathEndIndex < url.length && url.charCodeAt(pathEndIndex) === 63 ? pathEndIndex + 1 : -1;
    this.params = undefined;
  }

  get(name: string): string | undefined {
    if (this.start < 0) return undefined;
    if (this.params === undefined) this.params = parseQuery(this.url, this.start);
    return this.params.get(name);
  }
}

function parseQuery(url: string, start: number): Map<string, string> {
  const out = new Map<string, string>();
  const hash = url.indexOf('#', start);
  const q = url.slice(start, hash < 0 ? url.length : hash);
  if (q === '') return out;
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeQueryPart(eq < 0 ? part : part.slice(0, eq));
    if (out.has(name)) continue;
    out.set(name, eq < 0 ? '' : decodeQueryPart(part.slice(eq + 1)));
  }
  return out;
}

/** One header's value as the matcher compares it: repeated values joined with `,`. */
export function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  lowerName: string,
): string | undefined {
  const v = headers[lowerName];
  if (v === undefined || typeof v === 'string') return v;
  return v.join(',');
}
