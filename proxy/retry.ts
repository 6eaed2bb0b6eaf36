import type { RetryPolicy } from '../engine/routing/index.js';
import type { RetryBudget } from './retry-budget.js';
import type { RouteMetrics } from './route-metrics.js';

/**
 * What may be retried (GEP-1731, bounded by the rule's retry budget, see `retry-budget.ts`):
 * - a response whose status is in the rule's `codes`, for any method (the body is replayed);
 * - a failure to connect (refused, unreachable, connect timeout, endpoint pool closed, a stream the
 *   endpoint refused), for any method: nothing reached the endpoint;
 * - a reset or closed connection or stream, or a `backendRequest` timeout, only for idempotent methods
 *   (GET, HEAD, OPTIONS, TRACE, PUT, DELETE): the endpoint may have acted on the request.
 * Which failure is which is `classify()`'s (errors.ts) `retry`. Only requests without a body or with a
 * body of at most `MAX_REPLAY_BYTES` are retried.
 */
export const MAX_REPLAY_BYTES = 64 * 1024;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** a method the endpoint may have acted on safely twice (failures classified `RETRY_IDEMPOTENT`) */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
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
