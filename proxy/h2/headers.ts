import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

/**
 * HTTP/2 headers between node:http2's header objects and the flat `[name, value, ...]` lists the
 * filters work on (filters/state.ts): `:authority` stands as `host` in a flat list.
 */

/** h2 request headers as the `[name, value, ...]` list filters work on; `:authority` becomes `host` */
export function flatRequestHeaders(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  const authority = headers[':authority'] ?? headers.host;
  if (authority !== undefined) out.push('host', String(authority));
  flatInto(headers, out, true);
  return out;
}

export function flatInto(headers: IncomingHttpHeaders, out: string[], skipHost: boolean): void {
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */ || (skipHost && name === 'host')) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
}

/** a flat header list as an h2 header object (names lower-cased, repeated names as arrays) */
export function headerObject(
  flat: readonly string[],
  out: OutgoingHttpHeaders,
  hostIsAuthority: boolean,
): OutgoingHttpHeaders {
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    if (hostIsAuthority && name === 'host') {
      out[':authority'] = value;
      continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}
