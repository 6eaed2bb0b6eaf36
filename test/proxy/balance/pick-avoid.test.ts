import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../../../proxy/balance/balancer.js';
import { PeakEwma } from '../../../proxy/balance/peak-ewma.js';
import { seeded } from '../../support/seeded.js';

/** `pick(avoid)`: the endpoint for a request never sent to `avoid` (proxy/redispatch.ts) */
describe('picking another endpoint than the one that just failed', () => {
  it('peak-EWMA never picks the avoided endpoint, and has none when it is the only one available', () => {
    const bal = new PeakEwma(['a', 'b', 'c'], { random: seeded(7), failureAccrual: false });
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const ep = bal.pick('b');
      expect(ep).not.toBe('b');
      seen.add(ep!);
    }
    expect([...seen].sort()).toEqual(['a', 'c']);
    expect(new PeakEwma(['a'], { failureAccrual: false }).pick('a')).toBeUndefined();
  });

  it('peak-EWMA: the avoided endpoint is left out of the available ones, an ejected one stays out', () => {
    const bal = new PeakEwma(['a', 'b'], { random: seeded(3), failureAccrual: { maxFailures: 1 } });
    bal.release('a', 1, true);
    // `a` is ejected: avoiding `b` leaves nothing
    expect(bal.pick('b')).toBeUndefined();
    expect(bal.pick()).toBe('b');
  });

  it('round robin skips the avoided endpoint, and has none when it is the only one', () => {
    const rr = new RoundRobin(['a', 'b', 'c']);
    const picks = Array.from({ length: 6 }, () => rr.pick('a'));
    expect(picks).not.toContain('a');
    expect(new RoundRobin(['a']).pick('a')).toBeUndefined();
  });
});
