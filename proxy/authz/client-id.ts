import type { IncomingHttpHeaders } from 'node:http2';

/**
 * Linkerd's `l5d-client-id`: the inbound side tells the app which mesh identity its mTLS client proved.
 * A value the client sent itself is dropped (it proves nothing); without a proven identity there is none.
 */
export const CLIENT_ID_HEADER = 'l5d-client-id';

/** a flat `[name, value, ...]` header list with `l5d-client-id` set to `id` only (the list is copied when changed) */
export function withClientId(raw: string[], id: string | undefined): string[] {
  let out: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === CLIENT_ID_HEADER.length && name.toLowerCase() === CLIENT_ID_HEADER) {
      out ??= raw.slice(0, i);
    } else if (out !== undefined) out.push(name, raw[i + 1] as string);
  }
  if (id === undefined) return out ?? raw;
  return [...(out ?? raw), CLIENT_ID_HEADER, id];
}

/** the same for an HTTP/2 header object (changed in place) */
export function setClientId(headers: IncomingHttpHeaders, id: string | undefined): void {
  if (id === undefined) delete headers[CLIENT_ID_HEADER];
  else headers[CLIENT_ID_HEADER] = id;
}
