import type { RetryPolicy } from '../engine/routing/index.js';
import type { RetryBudget } from './retry-budget.js';
import type { RouteMetrics } from './route-metrics.js';
import { BACKEND_REQUEST_TIMEOUT } from './timeouts.js';

/**
 * What may be retried (GEP-1731, bounded by the rule's retry budget, see `retry-budget.ts`):
 * - a response whose status is in the rule's `codes`, for any method (the body is replayed);
 * - a failure to connect (refused, unreachable, connect timeout, endpoint pool closed), for any
 *   method: nothing reached the endpoint;
 * - a reset or closed connection, or a `backendRequest` timeout, only for idempotent methods (GET,
 *   HEAD, OPTIONS, TRACE, PUT, DELETE): the endpoint may have acted on the request.
 * Only requests without a body or with a body of at most `MAX_REPLAY_BYTES` are retried.
 */
export const MAX_REPLAY_BYTES = 64 * 1024;

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const AFTER_CONNECT_FAILURES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function retryableError(err: Error, method: string): boolean {
  const code = (err as { code?: unknown }).code as string | undefined;
  if (code !== undefined && CONNECT_FAILURES.has(code)) return true;
  if (err === BACKEND_REQUEST_TIMEOUT || (code !== undefined && AFTER_CONNECT_FAILURES.has(code))) {
    return IDEMPOTENT.has(method);
  }
  return false;
}

/**
 * The wait before retry number `retry` (1-based): the policy's exponential backoff plus up to 25 %
 * jitter on top, so never shorter than what the rule asked for.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const d = policy.delayMs(retry);
  return d <= 0 ? 0 : d + Math.floor(d * 0.25 * random());
}

/**
 * Whether a retryable try may be retried: `retries` so far under the policy's `attempts`, and the retry
 * budget has room (one is withdrawn). A refusal is counted on the route's metrics (limit exceeded or
 * budget overflow), as Linkerd counts them.
 */
export function mayRetry(
  policy: RetryPolicy,
  retries: number,
  budget: RetryBudget,
  route: RouteMetrics | undefined,
): boolean {
  if (retries >= policy.attempts) {
    if (route !== undefined) route.retryLimitExceeded++;
    return false;
  }
  if (budget.withdraw()) return true;
  if (route !== undefined) route.retryOverflow++;
  return false;
}
