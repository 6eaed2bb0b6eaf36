import { describe, expect, it } from 'vitest';
import { PeakEwma } from '../../../proxy/balance/peak-ewma.js';
import { ConsecutiveFailures } from '../../../proxy/balance/breaker.js';

const FAIL = true;
const OK = false;

/** fails `n` times in a row at `now` */
function failTimes(b: ConsecutiveFailures, n: number, now: number): void {
  for (let i = 0; i < n; i++) b.record(FAIL, now);
}

describe('failure accrual (consecutive failures)', () => {
  it('ejects an endpoint after maxFailures consecutive failures, not before', () => {
    const b = new ConsecutiveFailures({ maxFailures: 3 }, () => 0);
    failTimes(b, 2, 0);
    expect(b.available(0)).toBe(true);
    expect(b.record(FAIL, 0)).toBe(true);
    expect(b.state).toBe('ejected');
    expect(b.available(0)).toBe(false);
  });

  it('a success in between resets the count', () => {
    const b = new ConsecutiveFailures({ maxFailures: 3 }, () => 0);
    failTimes(b, 2, 0);
    b.record(OK, 0);
    failTimes(b, 2, 0);
    expect(b.state).toBe('ready');
    b.record(FAIL, 0);
    expect(b.state).toBe('ejected');
  });

  it("Linkerd's defaults: 7 failures, then a 1 s to 1.5 s backoff", () => {
    const b = new ConsecutiveFailures({}, () => 0.5);
    failTimes(b, 6, 0);
    expect(b.state).toBe('ready');
    b.record(FAIL, 0);
    expect(b.until).toBe(1_250);
  });

  it('after the backoff, admits exactly one probe', () => {
    const b = new ConsecutiveFailures({ maxFailures: 1, minPenaltyMs: 1_000 }, () => 0);
    b.record(FAIL, 0);
    expect(b.available(999)).toBe(false);
    expect(b.available(1_000)).toBe(true);
    expect(b.state).toBe('probation');
    b.admit();
    expect(b.state).toBe('probing');
    expect(b.available(1_001)).toBe(false);
    expect(b.available(100_000)).toBe(false);
  });

  it('a failed probe ejects again for a longer backoff; a successful one brings the endpoint back', () => {
    const b = new ConsecutiveFailures({ maxFailures: 2, minPenaltyMs: 100, maxPenaltyMs: 10_000 }, () => 0);
    failTimes(b, 2, 0);
    let now = 0;
    const ejections: number[] = [];
    for (let i = 0; i < 3; i++) {
      ejections.push(b.until - now);
      now = b.until;
      expect(b.available(now)).toBe(true);
      b.admit();
      expect(b.record(FAIL, now)).toBe(true);
    }
    ejections.push(b.until - now);
    expect(ejections).toEqual([100, 200, 400, 800]);
    now = b.until;
    b.available(now);
    b.admit();
    expect(b.record(OK, now)).toBe(true);
    expect(b.state).toBe('ready');
    // healthy again: a single failure does not eject, and the next ejection starts from the minimum
    b.record(FAIL, now);
    expect(b.state).toBe('ready');
    b.record(FAIL, now);
    expect(b.until - now).toBe(100);
  });

  it('backoff grows exponentially with jitter within [base, base × (1 + jitterRatio)], base capped at max', () => {
    let r = 0;
    const random = () => r;
    const b = new ConsecutiveFailures({ minPenaltyMs: 1_000, maxPenaltyMs: 60_000, jitterRatio: 0.5 }, random);
    const bases = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
    bases.forEach((base, step) => {
      r = 0;
      expect(b.backoffMs(step)).toBe(base);
      r = 0.999;
      expect(b.backoffMs(step)).toBeCloseTo(base * 1.4995, 6);
    });
    // jitter draws spread over the range
    let seed = 7;
    r = 0;
    const draws = Array.from({ length: 200 }, () => {
      seed = (seed * 16807) % 2147483647;
      r = seed / 2147483647;
      return b.backoffMs(1);
    });
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3_000);
    expect(Math.max(...draws) - Math.min(...draws)).toBeGreaterThan(800);
  });

  it('ignores outcomes of requests that were sent before the ejection', () => {
    const b = new ConsecutiveFailures({ maxFailures: 1, minPenaltyMs: 100 }, () => 0);
    b.record(FAIL, 0);
    expect(b.record(OK, 10)).toBe(false);
    expect(b.state).toBe('ejected');
    b.available(100);
    expect(b.record(OK, 100)).toBe(false);
    expect(b.state).toBe('probation');
  });

  it('a cancelled probe lets another request probe', () => {
    const b = new ConsecutiveFailures({ maxFailures: 1, minPenaltyMs: 100 }, () => 0);
    b.record(FAIL, 0);
    b.available(100);
    b.admit();
    expect(b.record(undefined, 150)).toBe(true);
    expect(b.available(150)).toBe(true);
    expect(b.state).toBe('probation');
  });
});

describe('failure accrual inside the balancer', () => {
  it('an ejected endpoint gets no traffic, comes back for one probe, and rejoins after it succeeds', () => {
    let now = 0;
    const bal = new PeakEwma(['good', 'bad'], {
      now: () => now,
      random: Math.random,
      failureAccrual: { maxFailures: 3, minPenaltyMs: 1_000, jitterRatio: 0 },
    });
    for (let i = 0; i < 3; i++) bal.release('bad', 1, true);
    expect(bal.available()).toBe(1);
    for (let i = 0; i < 50; i++) {
      const ep = bal.pick();
      expect(ep).toBe('good');
      bal.release('good', 1, false);
    }
    expect(bal.nextChangeMs()).toBe(1_000);
    now = 1_000;
    // probation: of 10 requests in flight at once, exactly one probes 'bad'
    const picks = Array.from({ length: 10 }, () => bal.pick());
    expect(picks.filter((p) => p === 'bad')).toHaveLength(1);
    bal.release('bad', 1, false);
    expect(bal.available()).toBe(2);
    expect(bal.load('bad')?.state).toBe('ready');
  });

  it('all endpoints ejected: nothing to pick until the first backoff ends', () => {
    let now = 0;
    const changes: number[] = [];
    const bal = new PeakEwma(['a', 'b'], {
      now: () => now,
      random: () => 0.25,
      failureAccrual: { maxFailures: 1, minPenaltyMs: 200, jitterRatio: 0.5 },
    });
    bal.onChange = () => changes.push(now);
    bal.release('a', 1, true);
    now = 100;
    bal.release('b', 1, true);
    expect(changes).toEqual([0, 100]);
    expect(bal.pick()).toBeUndefined();
    // a: 200 ms + 0.25 × 0.5 × 200 ms of jitter from t=0
    expect(bal.nextChangeMs()).toBe(125);
    now = 225;
    expect(bal.pick()).toBe('a');
    expect(bal.pick()).toBeUndefined();
  });
});

describe('ConsecutiveFailures: Retry-After-aware ejection', () => {
  it('an ejection lasts at least as long as the endpoint asked (429 with Retry-After)', () => {
    const b = new ConsecutiveFailures({ maxFailures: 2, minPenaltyMs: 1_000, jitterRatio: 0 });
    b.record(FAIL, 0, 30_000);
    b.record(FAIL, 0, 30_000);
    expect(b.state).toBe('ejected');
    expect(b.available(29_999)).toBe(false);
    expect(b.available(30_000)).toBe(true);
  });
});
