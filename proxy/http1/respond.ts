import type { ServerResponse } from 'node:http';
import { headerSafe, LINKERD_PROXY_ERROR_HEADER, PROXY_ERROR_HEADER, type Failure } from '../errors.js';

/**
 * Answer an HTTP/1.1 request with a proxy-made error: the failure's status, `weir-proxy-error` and
 * `l5d-proxy-error` with its reason, and the reason as a text body. When the response has already
 * started, the only honest signal left is to cut the connection.
 */
export function sendProxyError(res: ServerResponse, f: Failure, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const value = headerSafe(f.reason);
  const body = `${value}\n`;
  const headers = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    PROXY_ERROR_HEADER,
    value,
    LINKERD_PROXY_ERROR_HEADER,
    value,
  ];
  if (close) headers.push('connection', 'close');
  res.writeHead(f.status, headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
