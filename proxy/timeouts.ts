/**
 * Route timeouts (GEP-1742) as errors: the exchange aborts the attempt in flight with one of these, and
 * `errors.ts` turns them into 504 with `weir-proxy-error: request timeout | backend request timeout`.
 *
 * - `timeouts.request`: from the request's headers until the response headers, every try, backoff and
 *   the buffering of a small request body included. When it fires the attempt in flight is cancelled
 *   and the client gets 504 at once.
 * - `timeouts.backendRequest`: each try, from dispatch until its response headers. A try that times
 *   out counts as a connection error for retries.
 * - `0s` (or unset) disables either; `responseTimeoutMs` of the proxy still bounds every try.
 * Once response headers are forwarded, neither timeout applies to the response body.
 */
export class RouteTimeoutError extends Error {
  constructor(
    readonly code: 'WEIR_REQUEST_TIMEOUT' | 'WEIR_BACKEND_REQUEST_TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'RouteTimeoutError';
  }
}

/** shared instances: no allocation when a timeout fires, and identity tells them apart */
export const REQUEST_TIMEOUT = new RouteTimeoutError('WEIR_REQUEST_TIMEOUT', 'request timeout');
export const BACKEND_REQUEST_TIMEOUT = new RouteTimeoutError('WEIR_BACKEND_REQUEST_TIMEOUT', 'backend request timeout');

export function clearTimer(t: NodeJS.Timeout | undefined): undefined {
  if (t !== undefined) clearTimeout(t);
  return undefined;
}
