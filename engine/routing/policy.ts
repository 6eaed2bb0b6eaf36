import { parseGatewayDurationMs, type HTTPRouteRule } from '../resources/index.js';

/** Weir's retry defaults where GEP-1731 leaves them to the implementation. */
export const DEFAULT_RETRY_ATTEMPTS = 1;
/** first backoff when the rule sets none; doubles per retry up to `MAX_BACKOFF_MS` */
export const DEFAULT_BACKOFF_MS = 25;
export const MAX_BACKOFF_MS = 250;

/**
 * A rule's `retry` stanza (GEP-1731): up to `attempts` retries (so `1 + attempts` tries), on the listed
 * status codes and on connection errors and per-try timeouts.
 */
export class RetryPolicy {
  readonly attempts: number;
  readonly codes: readonly number[];
  /** the minimum wait before the first retry */
  readonly backoffMs: number;
  /** index `status - 400` -> 1 when that status is retried */
  private readonly table = new Uint8Array(200);

  constructor(attempts: number, codes: readonly number[], backoffMs: number) {
    this.attempts = attempts;
    this.codes = [...new Set(codes)].sort((a, b) => a - b);
    this.backoffMs = backoffMs;
    for (const c of this.codes) if (c >= 400 && c < 600) this.table[c - 400] = 1;
  }

  retriesStatus(status: number): boolean {
    return status >= 400 && status < 600 && this.table[status - 400] === 1;
  }

  /**
   * The minimum wait before retry number `retry` (1-based): `backoff * 2^(retry-1)`, capped at
   * `max(backoff, MAX_BACKOFF_MS)`, so never shorter than the configured backoff.
   */
  delayMs(retry: number): number {
    const base = this.backoffMs;
    if (base <= 0) return 0;
    const cap = Math.max(base, MAX_BACKOFF_MS);
    return Math.min(cap, base * 2 ** Math.min(retry - 1, 20));
  }
}

/** Timeouts (GEP-1742) and retries of one rule; 0 ms means no timeout. */
export interface RoutePolicy {
  /** whole request until the response headers, every retry and backoff included */
  readonly requestTimeoutMs: number;
  /** each try until its response headers */
  readonly backendRequestTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
}

/** The rule's policy, or undefined when it sets neither timeouts nor retries. */
export function compilePolicy(rule: Pick<HTTPRouteRule, 'timeouts' | 'retry'>): RoutePolicy | undefined {
  const t = rule.timeouts;
  const requestTimeoutMs = t?.request !== undefined ? (parseGatewayDurationMs(t.request) ?? 0) : 0;
  const backendRequestTimeoutMs = t?.backendRequest !== undefined ? (parseGatewayDurationMs(t.backendRequest) ?? 0) : 0;
  const r = rule.retry;
  const attempts = r?.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  const retry =
    r !== undefined && attempts > 0
      ? new RetryPolicy(
          attempts,
          r.codes ?? [],
          r.backoff !== undefined ? (parseGatewayDurationMs(r.backoff) ?? DEFAULT_BACKOFF_MS) : DEFAULT_BACKOFF_MS,
        )
      : undefined;
  if (requestTimeoutMs === 0 && backendRequestTimeoutMs === 0 && retry === undefined) return undefined;
  return { requestTimeoutMs, backendRequestTimeoutMs, retry };
}

export function describePolicy(p: RoutePolicy): Record<string, unknown> {
  return {
    ...(p.requestTimeoutMs > 0 ? { requestTimeoutMs: p.requestTimeoutMs } : {}),
    ...(p.backendRequestTimeoutMs > 0 ? { backendRequestTimeoutMs: p.backendRequestTimeoutMs } : {}),
    ...(p.retry !== undefined
      ? { retry: { attempts: p.retry.attempts, codes: p.retry.codes, backoffMs: p.retry.backoffMs } }
      : {}),
  };
}
