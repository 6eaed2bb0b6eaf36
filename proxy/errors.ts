import type { ServerResponse } from 'node:http';

/**
 * The one place where failures become responses. A response the proxy produced itself carries
 * `weir-proxy-error: <reason>` (and `l5d-proxy-error`, for Linkerd users), so users can tell it from
 * the application's own errors.
 *
 * | failure | status |
 * | --- | --- |
 * | routes attached to the Service, none matches | 404 |
 * | backend does not resolve (unknown Service/port/kind), rule without usable backends | 500 |
 * | connection refused / reset / closed by the endpoint, bad upstream response | 502 |
 * | no endpoint ready (or all ejected) within the fail-fast bound; any request while failing fast | 503 |
 * | too many requests already waiting for an endpoint of the backend (load shed) | 503 |
 * | connect or response-headers timeout; HTTPRoute `timeouts.request` / `backendRequest` (timeouts.ts) | 504 |
 * | request undici cannot send as is (e.g. two Host headers) | 400 |
 */
export const NO_ROUTE = 404;
export const BACKEND_INVALID = 500;
export const NO_ENDPOINT = 503;
export const LOAD_SHED = 503;

export const PROXY_ERROR_HEADER = 'weir-proxy-error';
export const LINKERD_PROXY_ERROR_HEADER = 'l5d-proxy-error';

export interface ProxyFailure {
  status: number;
  reason: string;
}

/** Map an error from the upstream client (undici, or the socket under it) to a status and reason. */
export function upstreamFailure(err: Error): ProxyFailure {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return { status: 502, reason: 'connection refused' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return { status: 502, reason: `connect failed (${code})` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
      return { status: 502, reason: 'connection reset' };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 504, reason: 'connect timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { status: 504, reason: 'response timeout' };
    case 'WEIR_REQUEST_TIMEOUT':
      return { status: 504, reason: 'request timeout' };
    case 'WEIR_BACKEND_REQUEST_TIMEOUT':
      return { status: 504, reason: 'backend request timeout' };
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, reason: 'response body timeout' };
    case 'UND_ERR_HEADERS_OVERFLOW':
      return { status: 502, reason: 'response headers too large' };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { status: 502, reason: 'response length mismatch' };
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return { status: 400, reason: `invalid request: ${err.message}` };
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return { status: 503, reason: 'endpoint closed' };
    case 'UND_ERR_ABORTED':
      return { status: 502, reason: 'request aborted' };
    default:
      return { status: 502, reason: `upstream error: ${err.message}` };
  }
}

function headerSafe(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 512);
}

/**
 * Answer with a proxy-made error. When the response has already started, the only honest signal left
 * is to cut the connection.
 */
export function sendProxyError(res: ServerResponse, status: number, reason: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const value = headerSafe(reason);
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
  res.writeHead(status, headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
