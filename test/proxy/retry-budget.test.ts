import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../proxy/retry-budget.js';

/** a budget on a fake clock */
function budget(o: { ratio?: number; minPerSecond?: number; ttlMs?: number } = {}) {
  let now = 0;
  const b = new RetryBudget({ ...o, now: () => now });
  return {
    b,
    advance: (ms: number) => {
      now += ms;
    },
    /** how many retries in a row the budget allows now */
    drain: () => {
      let n = 0;
      while (b.withdraw() && n < 100_000) n++;
      return n;
    },
  };
}

describe('retry budget (Linkerd / Tower TpsBudget)', () => {
  it('without traffic allows the floor: minPerSecond x ttl retries (defaults 10/s x 10 s)', () => {
    const { b, drain } = budget();
    expect(b.available()).toBe(100);
    expect(drain()).toBe(100);
    expect(b.withdraw()).toBe(false);
  });

  it('adds ratio x requests on top of the floor', () => {
    const { b, drain } = budget({ ratio: 0.2, minPerSecond: 1, ttlMs: 10_000 });
    for (let i = 0; i < 500; i++) b.deposit();
    // floor 10 + 20 % of 500
    expect(drain()).toBe(110);
  });

  it('deposits and withdrawals expire after the window', () => {
    const { b, advance, drain } = budget({ ratio: 0.5, minPerSecond: 1, ttlMs: 1000 });
    for (let i = 0; i < 100; i++) b.deposit();
    expect(drain()).toBe(51); // floor 1 + 50
    advance(500);
    expect(b.withdraw()).toBe(false); // still inside the window: spent
    advance(600);
    // a whole window later only the floor is back
    expect(drain()).toBe(1);
    advance(1100);
    expect(b.available()).toBe(1);
  });

  it('expires slot by slot: deposits older than the window stop counting', () => {
    const { b, advance } = budget({ ratio: 1, minPerSecond: 0, ttlMs: 1000 });
    for (let i = 0; i < 10; i++) b.deposit(); // t = 0
    advance(500);
    for (let i = 0; i < 5; i++) b.deposit(); // t = 500
    expect(b.available()).toBe(15);
    advance(550); // t = 1050: the first 10 have expired
    expect(b.available()).toBe(5);
    advance(500); // t = 1550: all expired
    expect(b.available()).toBe(0);
  });

  it('ratio 0 allows no retries at all', () => {
    const { b } = budget({ ratio: 0 });
    b.deposit();
    expect(b.withdraw()).toBe(false);
  });
});
