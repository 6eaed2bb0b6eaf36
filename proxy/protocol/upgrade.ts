import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { classify, headerSafe, LINKERD_PROXY_ERROR_HEADER, PROXY_ERROR_HEADER, type Failure } from '../errors.js';
import type { Series } from '../metrics.js';
import { openUpstream, type OpaqueTarget } from './opaque.js';

/**
 * HTTP/1.1 Upgrade (WebSocket and friends) passed through: the request has been routed like any other;
 * its head is replayed to the chosen endpoint as received (Connection and Upgrade included, the
 * request target in origin form), then the two sockets are spliced and bytes flow both ways until either
 * side closes. The endpoint's answer (101, or a refusal) reaches the client as it was sent, and its
 * status is what the golden metrics record.
 */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: OpaqueTarget,
  series: Series,
  start: number,
  track?: (upstream: Socket) => void,
): void {
  const upstream = openUpstream(target, false, (up) => {
    const raw = req.rawHeaders;
    let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i] as string}: ${raw[i + 1] as string}\r\n`;
    up.write(`${text}\r\n`, 'latin1');
    if (head.length > 0) up.write(head);
    up.pipe(socket as NodeJS.WritableStream);
    socket.pipe(up);
    socket.resume();
  });
  track?.(upstream);
  let answered = false;
  let failed = false;
  const opened = performance.now();
  upstream.once('data', (first: Buffer) => {
    answered = true;
    const status = parseStatus(first);
    series.response(status, performance.now() - start, status >= 500 || status === 0);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    failed = true;
    if (!answered) {
      answered = true;
      refuseUpgrade(socket, classify(err), series, start, false);
    } else if (!socket.destroyed) socket.destroy();
  });
  upstream.on('close', () => {
    target.done?.(performance.now() - opened, failed);
    if (!socket.destroyed) socket.end();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => {
    if (!upstream.destroyed) upstream.destroy();
  });
}

function parseStatus(first: Buffer): number {
  // `HTTP/1.1 101 Switching Protocols`
  if (first.length < 12 || first.toString('latin1', 0, 5) !== 'HTTP/') return 0;
  const code = Number(first.toString('latin1', 9, 12));
  return Number.isInteger(code) ? code : 0;
}

/**
 * Answer an upgrade request with a proxy error on the raw socket (`weir-proxy-error`), then close it.
 * `count` also counts the request (false when the caller already has).
 */
export function refuseUpgrade(socket: Duplex, f: Failure, series: Series, start: number, count = true): void {
  const status = f.status;
  if (count) series.request();
  series.response(status, performance.now() - start, true);
  if (socket.destroyed) return;
  const value = headerSafe(f.reason);
  const body = `${value}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${PROXY_ERROR_HEADER}: ${value}\r\n` +
      `${LINKERD_PROXY_ERROR_HEADER}: ${value}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
