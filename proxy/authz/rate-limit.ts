import type { PolicyRateLimit } from '../../engine/policy/types.js';

/** A token bucket: `rate` tokens per second, holding at most `rate` (one second's burst). */
class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * HTTPLocalRateLimitPolicy in the proxy: a request passes when its client's bucket (an override's, else
 * the per-identity one; clients without identity share one) and the total bucket both have a token.
 * Past either the answer is 429. One limiter per policy version: a new policy starts full buckets.
 */
export class RateLimiter {
  private readonly total: Bucket | undefined;
  private readonly perClient = new Map<string, Bucket>();
  private readonly overrides = new Map<string, number>();

  constructor(
    private readonly limit: PolicyRateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.total = limit.total !== undefined ? new Bucket(limit.total, now()) : undefined;
    for (const o of limit.overrides) for (const id of o.identities) this.overrides.set(id, o.requestsPerSecond);
  }

  /** whether a request of `identity` (undefined: unauthenticated) may pass now */
  admit(identity: string | undefined): boolean {
    const t = this.now();
    const rate = identity !== undefined ? (this.overrides.get(identity) ?? this.limit.identity) : this.limit.identity;
    if (rate !== undefined) {
      const key = identity ?? '';
      let bucket = this.perClient.get(key);
      if (bucket === undefined) {
        bucket = new Bucket(rate, t);
        this.perClient.set(key, bucket);
      }
      if (!bucket.take(t)) return false;
    }
    return this.total === undefined || this.total.take(t);
  }
}
