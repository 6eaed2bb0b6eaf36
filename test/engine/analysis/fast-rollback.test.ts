import { describe, expect, it } from 'vitest';
import {
  binomialLowerTail,
  binomialUpperTail,
  clopperPearsonUpper,
  judgeFastRollback,
  logGamma,
  lookAlpha,
} from '../../../engine/analysis/index.js';

const settings = { minRequests: 20, confidence: 0.999 };

/** P(X >= k), summed term by term */
function bruteUpperTail(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = k; i <= n; i++)
    s += Math.exp(logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1)) * p ** i * (1 - p) ** (n - i);
  return s;
}

describe('exact binomial tails', () => {
  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
  });

  it.each([
    [2, 20, 0.01],
    [5, 100, 0.01],
    [30, 1000, 0.01],
    [1, 1, 0.5],
    [60, 100, 0.5],
  ])('P(X >= %i | n=%i, p=%s) agrees with the sum of the terms', (k, n, p) => {
    const exact = bruteUpperTail(k, n, p);
    expect(binomialUpperTail(k, n, p)).toBeCloseTo(exact, 10);
    expect(binomialLowerTail(k - 1, n, p)).toBeCloseTo(1 - exact, 10);
  });

  it('clopperPearsonUpper is the p where P(X <= k) = alpha (9 of 10 at 2.5 %: 0.99747)', () => {
    expect(clopperPearsonUpper(9, 10, 0.025)).toBeCloseTo(0.99747, 4);
    expect(clopperPearsonUpper(10, 10, 0.025)).toBe(1);
  });
});

describe('the look-by-look budget', () => {
  it('spends at most 1 - confidence over every look of a run (Σ α·6/(π²k²) ≤ α)', () => {
    let sum = 0;
    for (let k = 1; k <= 100_000; k++) sum += lookAlpha(0.999, k);
    expect(sum).toBeLessThanOrEqual(0.001);
    expect(sum).toBeGreaterThan(0.000999);
  });
});

describe('judgeFastRollback', () => {
  it('is undecided below the minimum number of requests, whatever the failures', () => {
    const d = judgeFastRollback({ total: 19, failures: 19 }, 99, settings, 1);
    expect(d).toEqual({ verdict: 'undecided', reason: '19 of the 20 requests needed to decide' });
  });

  it('calls a breach when the upper bound is below the threshold, and says why in one line', () => {
    const d = judgeFastRollback({ total: 40, failures: 20 }, 99, settings, 3);
    expect(d.verdict).toBe('breach');
    expect(d.upperPercent).toBeLessThan(99);
    expect(d.reason).toMatch(
      /^success rate 50\.00% over 40 requests \(20 failed\): Clopper-Pearson upper bound \d+\.\d\d% \(run confidence 99\.9%, look 3\) below the threshold 99%$/,
    );
  });

  it('does not call a breach on a few failures that a canary at the threshold can have', () => {
    // 2 failures in 20 (90 %) against 99 %: P(2 or more | 1 %) = 1.7 %, far from the budget
    const d = judgeFastRollback({ total: 20, failures: 2 }, 99, settings, 1);
    expect(d.verdict).toBe('undecided');
    expect(d.reason).toMatch(
      /not beyond doubt below the threshold 99% \(p 1\.7e-2, needs < 6\.1e-4; run confidence 99\.9%, look 1\)$/,
    );
  });

  it('is ok when even the lower bound meets the threshold', () => {
    expect(judgeFastRollback({ total: 100_000, failures: 100 }, 99, settings, 1).verdict).toBe('ok');
  });

  it('needs more evidence for the same failure rate at a later look', () => {
    // 97 % over 600 requests: beyond doubt at the first look, not at the millionth
    expect(judgeFastRollback({ total: 600, failures: 18 }, 99, settings, 1).verdict).toBe('breach');
    expect(judgeFastRollback({ total: 600, failures: 18 }, 99, settings, 1_000_000).verdict).toBe('undecided');
  });
});
