/**
 * Header readers and writers for the two shapes the proxy holds headers in, so that the tracer reads and
 * rewrites them in place, without building a header object or copying:
 * - HTTP/1.1: Node's `rawHeaders`, a flat `[name, value, name, value, ...]` array with names as the client
 *   spelled them (case-insensitive lookup);
 * - HTTP/2: Node's header object, lower-case names (`IncomingHttpHeaders`, `IncomingHttpHeaders2`).
 * Names passed in are lower-case (the tracer's constants).
 */

/** A header object as Node's http and http2 modules give it. */
export type HeaderObject = Record<string, string | string[] | number | undefined>;

/** `name` (lower-case letters, digits, '-') equals `candidate` ignoring ASCII case; allocates nothing */
function sameName(candidate: string, name: string): boolean {
  if (candidate.length !== name.length) return false;
  if (candidate === name) return true;
  for (let i = 0; i < name.length; i++) {
    // folding bit 0x20 maps A-Z onto a-z; header names have no control characters that could fold onto '-' or digits
    if ((candidate.charCodeAt(i) | 0x20) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** First value of `name` in a flat name/value array. */
export function readRawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if (sameName(raw[i] as string, name)) return raw[i + 1];
  }
  return undefined;
}

/** Sets `name` in a flat name/value array: replaces the first value in place (and drops repeats), or appends. */
export function writeRawHeader(raw: string[], name: string, value: string): void {
  let found = false;
  for (let i = 0; i < raw.length;) {
    if (sameName(raw[i] as string, name)) {
      if (!found) {
        raw[i + 1] = value;
        found = true;
      } else {
        raw.splice(i, 2);
        continue;
      }
    }
    i += 2;
  }
  if (!found) raw.push(name, value);
}

/** First value of `name` (lower-case) in a header object. */
export function readHeaderObject(headers: HeaderObject, name: string): string | undefined {
  const v = headers[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[0];
  return undefined;
}

/** Sets `name` (lower-case) in a header object, replacing any value. */
export function writeHeaderObject(headers: HeaderObject, name: string, value: string): void {
  headers[name] = value;
}
