import { describe, expect, it } from 'vitest';
import { DEFAULT_REFRESH, refreshDelay, retryDelay } from '../../../proxy/identity/refresh.js';

const HOUR = 3600_000;

describe('the renewal schedule', () => {
  it('renews at 70 % of the remaining lifetime: a 24 h leaf after 16.8 h', () => {
    expect(refreshDelay(24 * HOUR, 0, DEFAULT_REFRESH)).toBe(16.8 * HOUR);
    expect(refreshDelay(1_000_000 + 100_000, 1_000_000, DEFAULT_REFRESH)).toBe(70_000);
  });

  it('never sooner than min refresh (10 s), never later than max refresh (24 h)', () => {
    expect(refreshDelay(5_000, 0, DEFAULT_REFRESH)).toBe(10_000);
    expect(refreshDelay(-5_000, 0, DEFAULT_REFRESH)).toBe(10_000);
    expect(refreshDelay(100 * HOUR, 0, DEFAULT_REFRESH)).toBe(24 * HOUR);
    expect(refreshDelay(5_000, 0, { minRefreshMs: 100, maxRefreshMs: 24 * HOUR })).toBe(3_500);
  });

  it('retries after min refresh, doubling up to the retry ceiling', () => {
    const b = { minRefreshMs: 1_000, maxRefreshMs: HOUR };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, b, 30_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(retryDelay(3, { minRefreshMs: 10_000, maxRefreshMs: HOUR }, 5_000)).toBe(10_000);
    expect(retryDelay(10_000, b, 30_000)).toBe(30_000);
  });
});
