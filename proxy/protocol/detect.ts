import type { Socket } from 'node:net';

/**
 * Protocol detection on a fresh connection, after Linkerd's detect (linkerd.md 1.2): read what the
 * client sends first, bounded in size and time, and classify it.
 *
 * - `tls`: a TLS handshake record (0x16, then major version 3), i.e. a ClientHello: checked first, as
 *   Linkerd's inbound does before HTTP detection (a listener without TLS handling forwards it as opaque).
 * - `h2`: the HTTP/2 connection preface (`PRI * HTTP/2.0`), i.e. prior-knowledge h2c.
 * - `http1`: at least 14 bytes (the shortest request line, `GET / HTTP/1.1`) that are a valid start
 *   of an HTTP/1.x request line (method token, SP, request target, SP, `HTTP/1.x`, CRLF).
 * - `opaque`: anything else, a client that sends nothing within the timeout (server-speaks-first
 *   protocols), or a start still undecided when the size cap is reached.
 *
 * The bytes read are handed on with the verdict, to be replayed to whichever handler takes the socket.
 */
export type Protocol = 'tls' | 'h2' | 'http1' | 'opaque';

export const DETECT_MAX_BYTES = 1024;
/** Linkerd's detect timeout */
export const DETECT_TIMEOUT_MS = 10_000;
const MIN_HTTP1 = 14;
const PREFACE = Buffer.from('PRI * HTTP/2.0');

/** request-line token characters (RFC 9110 tchar) */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TCHAR[c.charCodeAt(0)] = 1;
const VERSION = 'HTTP/1.';

/**
 * Classify the first bytes of a connection; `undefined` means "not sure yet, read more". Pure.
 */
export function classify(buf: Buffer): Protocol | undefined {
  const n = buf.length;
  if (n === 0) return undefined;
  // TLS record header: content type 22 (handshake), protocol major version 3
  if (buf[0] === 0x16) return n < 2 ? undefined : buf[1] === 3 ? 'tls' : 'opaque';
  // HTTP/2 preface
  let pri = true;
  for (let i = 0; i < n && i < PREFACE.length; i++) {
    if (buf[i] !== PREFACE[i]) {
      pri = false;
      break;
    }
  }
  if (pri) return n >= PREFACE.length ? 'h2' : undefined;
  // HTTP/1 request line: method SP target SP HTTP/1.d CRLF, checked as far as the buffer goes
  let i = 0;
  while (i < n && (buf[i] as number) < 128 && TCHAR[buf[i] as number] === 1) i++;
  if (i === 0) return 'opaque';
  if (i === n) return n >= MIN_HTTP1 ? 'opaque' : undefined; // a 14-byte method is not HTTP
  if (buf[i] !== 32) return 'opaque';
  i++;
  const targetStart = i;
  while (i < n && (buf[i] as number) > 32 && buf[i] !== 127) i++;
  if (i === n) return n >= MIN_HTTP1 ? 'http1' : undefined;
  if (i === targetStart) return 'opaque';
  // `GET /path` then CR/LF: HTTP/0.9 (or a CR/LF smuggled into the target), which node's parser accepts;
  // HTTP, so the proxy's policy applies and the proxy refuses it (listener.ts), never passed on opaque
  if (buf[i] === 13 || buf[i] === 10) return buf[targetStart] === 47 /* / */ ? 'http1' : 'opaque';
  if (buf[i] !== 32) return 'opaque';
  i++;
  for (let v = 0; v < VERSION.length; v++, i++) {
    if (i === n) return n >= MIN_HTTP1 ? 'http1' : undefined;
    // past `HTTP/`, another version (`HTTP/2.0` in HTTP/1 syntax...): HTTP, refused by the proxy
    if (buf[i] !== VERSION.charCodeAt(v)) return v >= 5 ? 'http1' : 'opaque';
  }
  if (i === n) return n >= MIN_HTTP1 ? 'http1' : undefined;
  const d = buf[i] as number;
  if (d < 48 || d > 57) return 'opaque';
  i++;
  if (i === n) return n >= MIN_HTTP1 ? 'http1' : undefined;
  if (buf[i] === 13) i++;
  if (i === n) return n >= MIN_HTTP1 ? 'http1' : undefined;
  return buf[i] === 10 ? 'http1' : 'opaque';
}

export interface DetectOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

/**
 * Read from `socket` until `classify` decides, `maxBytes` are buffered, or `timeoutMs` passes, then call
 * `done` once with the verdict and the bytes read (the socket is left paused, with no data listener).
 * A socket that ends or fails before sending anything is destroyed and `done` is not called.
 */
export function detectProtocol(
  socket: Socket,
  options: DetectOptions,
  done: (protocol: Protocol, prefix: Buffer) => void,
): void {
  const max = options.maxBytes ?? DETECT_MAX_BYTES;
  let buf: Buffer = EMPTY;
  let finished = false;
  const finish = (p: Protocol) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.pause();
    done(p, buf);
  };
  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const p = classify(buf.length > max ? buf.subarray(0, max) : buf);
    if (p !== undefined) finish(p);
    else if (buf.length >= max) finish('opaque');
  };
  const onEnd = () => {
    // a client that half-closes after a few bytes: forward what there is
    if (buf.length > 0) finish(classify(buf) ?? 'opaque');
    else abort();
  };
  const onError = () => abort();
  const abort = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.destroy();
  };
  const timer = setTimeout(
    () => finish(classify(buf) === 'http1' ? 'http1' : 'opaque'),
    options.timeoutMs ?? DETECT_TIMEOUT_MS,
  );
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
}

const EMPTY = Buffer.alloc(0);
