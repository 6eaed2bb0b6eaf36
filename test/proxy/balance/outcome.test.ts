import { describe, expect, it } from 'vitest';
import {
  failedStatus,
  grpcOverloadMs,
  OVERLOAD_DEFAULT_MS,
  OVERLOAD_MAX_MS,
  overloadMs,
  rawRetryAfter,
  retryAfterMs,
} from '../../../proxy/balance/outcome.js';

describe('response outcomes for balancing and failure accrual', () => {
  it.each([
    [200, false],
    [404, false],
    [429, true],
    [500, true],
    [503, true],
  ])('status %i is a failure: %s', (status, failed) => {
    expect(failedStatus(status)).toBe(failed);
  });

  it('Retry-After in seconds or as an HTTP date, bounded; 1 s without one', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('99999', now)).toBe(OVERLOAD_MAX_MS);
    expect(retryAfterMs(undefined, now)).toBe(OVERLOAD_DEFAULT_MS);
    expect(retryAfterMs('soon', now)).toBe(OVERLOAD_DEFAULT_MS);
  });

  it('only 429 and RESOURCE_EXHAUSTED mean overloaded', () => {
    expect(overloadMs(429, '2')).toBe(2_000);
    expect(overloadMs(503, '2')).toBe(0);
    expect(grpcOverloadMs(8, undefined)).toBe(OVERLOAD_DEFAULT_MS);
    expect(grpcOverloadMs(14, '2')).toBe(0);
  });

  it('finds retry-after in raw response headers, any case', () => {
    expect(
      rawRetryAfter([Buffer.from('Content-Type'), Buffer.from('x'), Buffer.from('Retry-After'), Buffer.from('7')]),
    ).toBe('7');
    expect(rawRetryAfter(['content-length', '0'])).toBeUndefined();
  });
});
