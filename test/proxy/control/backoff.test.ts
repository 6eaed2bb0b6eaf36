import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../proxy/control/backoff.js';

describe('Backoff', () => {
  it('doubles from 100 ms up to 10 s, never above, and starts over after reset', () => {
    const b = new Backoff({ random: () => 0 });
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('adds up to half the base at random, still bounded by the maximum', () => {
    const b = new Backoff({ random: () => 0.999 });
    expect([b.next(), b.next(), b.next()]).toEqual([150, 300, 600]);
    for (let i = 0; i < 6; i++) b.next();
    expect(b.next()).toBe(10_000);
    const draws = [0.1, 0.9];
    const jittered = new Backoff({ random: () => draws.shift() ?? 0 });
    expect([jittered.next(), jittered.next()]).toEqual([105, 290]);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new Backoff({ minMs: 0 })).toThrow(/minMs/);
    expect(() => new Backoff({ minMs: 500, maxMs: 100 })).toThrow(/maxMs/);
  });
});
