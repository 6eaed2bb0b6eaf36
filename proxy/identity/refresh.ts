/** When to renew, as linkerd2-proxy's identity client does. */
export interface RefreshBounds {
  /** 10 s by default (Linkerd's min_refresh); lower in tests */
  minRefreshMs: number;
  /** 24 h by default (Linkerd's max_refresh) */
  maxRefreshMs: number;
}

export const DEFAULT_REFRESH: RefreshBounds = { minRefreshMs: 10_000, maxRefreshMs: 24 * 3600 * 1000 };

/** 70 % of the remaining lifetime, clamped to [min, max]: a 24 h leaf renews after about 16.8 h */
export function refreshDelay(notAfter: number, now: number, bounds: RefreshBounds): number {
  const delay = Math.floor(((notAfter - now) * 7) / 10);
  return Math.min(Math.max(delay, bounds.minRefreshMs), bounds.maxRefreshMs);
}

/** after the n-th failure in a row (n >= 1): min refresh, doubling, at most max(min, `maxRetryMs`) */
export function retryDelay(failures: number, bounds: RefreshBounds, maxRetryMs: number): number {
  const delay = bounds.minRefreshMs * 2 ** Math.min(Math.max(failures - 1, 0), 20);
  return Math.min(delay, Math.max(bounds.minRefreshMs, maxRetryMs));
}
