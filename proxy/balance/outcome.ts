import { GRPC_RESOURCE_EXHAUSTED } from '../h2/grpc.js';

/**
 * How a response counts for balancing and failure accrual (Linkerd's response classifier, with
 * Linkerd 2.20's rate-limit awareness, linkerd.md 1.4 and 1.8):
 * - a failure: a 5xx, or 429 (the endpoint says it is overloaded); for gRPC a failing `grpc-status`;
 * - overloaded: 429 or gRPC RESOURCE_EXHAUSTED, for `Retry-After` (seconds or an HTTP date, capped at
 *   60 s) or else 1 s: the balancer avoids the endpoint for that long (its cost is raised, so P2C takes
 *   any other), and an ejection by failure accrual lasts at least that long. An overloaded endpoint is
 *   avoided before it fails.
 */
export const OVERLOAD_DEFAULT_MS = 1_000;
export const OVERLOAD_MAX_MS = 60_000;

/** the response status counts as a failure of the endpoint */
export function failedStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** ms the endpoint asked to be left alone (0: not overloaded) */
export function overloadMs(status: number, retryAfter: string | undefined): number {
  return status === 429 ? retryAfterMs(retryAfter) : 0;
}

/** ms a gRPC status asks the endpoint to be left alone (0: not overloaded) */
export function grpcOverloadMs(grpcStatus: number, retryAfter: string | undefined): number {
  return grpcStatus === GRPC_RESOURCE_EXHAUSTED ? retryAfterMs(retryAfter) : 0;
}

/** `Retry-After` (RFC 9110 10.2.3: delay-seconds or an HTTP-date) in ms, bounded; the default without one */
export function retryAfterMs(value: string | undefined, now = Date.now()): number {
  if (value === undefined || value === '') return OVERLOAD_DEFAULT_MS;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    ms = Number.isNaN(at) ? OVERLOAD_DEFAULT_MS : at - now;
  }
  return Math.min(OVERLOAD_MAX_MS, Math.max(ms, 1));
}

/** the `retry-after` value of raw undici response headers (name/value Buffers or strings), if any */
export function rawRetryAfter(raw: ReadonlyArray<Buffer | string>): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer | string;
    if (name.length === 11 && name.toString().toLowerCase() === 'retry-after') return String(raw[i + 1]);
  }
  return undefined;
}
