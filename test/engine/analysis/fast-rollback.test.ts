import { describe, expect, it } from 'vitest';
import { judgeFastRollback, lookAlpha, lookZ, normalQuantile, wilsonBounds } from '../../../engine/analysis/index.js';

const settings = { minRequests: 20, confidence: 0.999 };

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959964],
    [0.999, 3.090232],
    [1e-9, -5.997807],
  ])('Φ⁻¹(%s) = %s', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 5);
  });

  it('refuses a probability outside (0, 1)', () => {
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\), got 1/);
  });
});

describe('the look-by-look budget', () => {
  it('spends at most 1 - confidence over every look of a run (Σ α·6/(π²k²) ≤ α)', () => {
    let sum = 0;
    for (let k = 1; k <= 100_000; k++) sum += lookAlpha(0.999, k);
    expect(sum).toBeLessThanOrEqual(0.001);
    expect(sum).toBeGreaterThan(0.000999);
  });

  it('asks for more certainty at later looks', () => {
    expect(lookZ(0.999, 1)).toBeCloseTo(-normalQuantile(0.001 * (6 / Math.PI ** 2)), 9);
    expect(lookZ(0.999, 100)).toBeGreaterThan(lookZ(0.999, 10));
  });
});

describe('wilsonBounds', () => {
  it('matches the textbook interval (45 of 50 at z = 1.96: 0.7864 .. 0.9565)', () => {
    const b = wilsonBounds(45, 50, 1.96);
    expect(b.lower).toBeCloseTo(0.7864, 3);
    expect(b.upper).toBeCloseTo(0.9565, 3);
  });

  it('puts the upper bound at 1 for a perfect record and is (0, 1) with no data', () => {
    expect(wilsonBounds(100, 100, 3).upper).toBeCloseTo(1, 12);
    expect(wilsonBounds(0, 0, 3)).toEqual({ lower: 0, upper: 1 });
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
      /^success rate 50\.00% over 40 requests \(20 failed\): Wilson upper bound \d+\.\d\d% \(run confidence 99\.9%, look 3, z \d\.\d\d\) below the threshold 99%$/,
    );
    expect(d.reason).not.toContain('\n');
  });

  it('does not call a breach on a few failures that a healthy canary can have', () => {
    // 2 failures in 100 (98 %) against 99 %: plausible for a 99 % canary, so not beyond doubt
    expect(judgeFastRollback({ total: 100, failures: 2 }, 99, settings, 1).verdict).toBe('undecided');
  });

  it('is ok when even the lower bound meets the threshold', () => {
    const d = judgeFastRollback({ total: 100_000, failures: 100 }, 99, settings, 1);
    expect(d.verdict).toBe('ok');
    expect(d.reason).toMatch(/lower bound 99\.\d\d% at or above 99%/);
  });

  it('needs more evidence for the same failure rate at a later look', () => {
    // 97 % over 600 requests: beyond doubt at the first look, not at the ten-thousandth
    expect(judgeFastRollback({ total: 600, failures: 18 }, 99, settings, 1).verdict).toBe('breach');
    expect(judgeFastRollback({ total: 600, failures: 18 }, 99, settings, 10_000).verdict).toBe('undecided');
  });
});
