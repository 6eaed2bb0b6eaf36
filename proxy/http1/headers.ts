/**
 * Hop-by-hop header handling (RFC 9110 7.6.1) on raw header lists, without building header objects.
 * Host is kept as the client sent it.
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'http2-settings',
]);
/** undici sets these itself or refuses them */
const REQUEST_ONLY = new Set(['expect']);

/** header-name lengths worth lower-casing: hop-by-hop names, plus host and content-length on requests */
const candidate = new Uint8Array(32);
for (const n of [...HOP_BY_HOP, ...REQUEST_ONLY, 'host', 'content-length']) candidate[n.length] = 1;

function connectionTokens(value: string, into: Set<string>): void {
  for (const t of value.split(',')) {
    const token = t.trim().toLowerCase();
    if (token !== '' && token !== 'close' && token !== 'keep-alive') into.add(token);
  }
}

/** What `forwardRequestHeaders` learnt while scanning; reused across requests (the scan is synchronous). */
export interface RequestHeadInfo {
  /** the request has a body to stream (Transfer-Encoding, or a Content-Length other than 0) */
  hasBody: boolean;
  host: string | undefined;
}

/**
 * The request headers to send upstream: `raw` (Node's `rawHeaders`, name/value pairs) minus hop-by-hop
 * headers and headers named in `Connection`. Returns `raw` itself when nothing has to go.
 */
export function forwardRequestHeaders(raw: string[], info: RequestHeadInfo): string[] {
  info.hasBody = false;
  info.host = undefined;
  let out: string[] | undefined;
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    let drop = false;
    if (name.length < 32 && candidate[name.length] === 1) {
      const lower = name.toLowerCase();
      if (lower === 'host') info.host = raw[i + 1];
      else if (lower === 'content-length') {
        if (raw[i + 1] !== '0') info.hasBody = true;
      } else if (HOP_BY_HOP.has(lower) || REQUEST_ONLY.has(lower)) {
        drop = true;
        if (lower === 'transfer-encoding') info.hasBody = true;
        else if (lower === 'connection') connectionTokens(raw[i + 1] as string, (named ??= new Set()));
      }
    }
    if (drop) {
      if (out === undefined) out = raw.slice(0, i);
    } else if (out !== undefined) {
      out.push(name, raw[i + 1] as string);
    }
  }
  const result = out ?? raw;
  return named === undefined || named.size === 0 ? result : withoutNamed(result, named);
}

function withoutNamed(raw: string[], named: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!named.has((raw[i] as string).toLowerCase())) out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/**
 * The response headers to send downstream, as a flat `[name, value, ...]` list for `writeHead`, from
 * undici's raw header buffers minus hop-by-hop headers. `close` adds `connection: close` (draining).
 */
export function forwardResponseHeaders(raw: Buffer[] | string[], close: boolean): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer | string;
    const n = typeof name === 'string' ? name : name.toString('latin1');
    const vraw = raw[i + 1] as Buffer | string;
    const value = typeof vraw === 'string' ? vraw : vraw.toString('latin1');
    if (n.length < 32 && candidate[n.length] === 1) {
      const lower = n.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connectionTokens(value, (named ??= new Set()));
        continue;
      }
    }
    out.push(n, value);
  }
  if (close) out.push('connection', 'close');
  return named === undefined || named.size === 0 ? out : withoutNamed(out, named);
}
