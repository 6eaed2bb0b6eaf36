import { describe, expect, it } from 'vitest';
import { PeakEwma, peakEwma } from '../../../proxy/balance/peak-ewma.js';
import { seeded } from '../../support/seeded.js';

class FakeClock {
  t = 0;
  readonly now = () => this.t;
}

const noAccrual = { failureAccrual: false } as const;

/**
 * Open-loop traffic on a fake clock: one request every `intervalMs`, each answered after its
 * endpoint's latency (read at send time), released when it completes. Returns requests per endpoint.
 */
function simulate(
  bal: PeakEwma<string>,
  clock: FakeClock,
  latency: (ep: string) => number,
  durationMs: number,
  intervalMs = 1,
): Record<string, number> {
  const counts: Record<string, number> = {};
  const inflight: Array<{ ep: string; at: number; rtt: number }> = [];
  const end = clock.t + durationMs;
  for (; clock.t < end; clock.t += intervalMs) {
    for (let i = inflight.length - 1; i >= 0; i--) {
      const f = inflight[i]!;
      if (f.at <= clock.t) {
        inflight.splice(i, 1);
        bal.release(f.ep, f.rtt, false);
      }
    }
    const ep = bal.pick()!;
    counts[ep] = (counts[ep] ?? 0) + 1;
    const rtt = latency(ep);
    inflight.push({ ep, at: clock.t + rtt, rtt });
  }
  for (const f of inflight) bal.release(f.ep, f.rtt, false);
  return counts;
}

/** decay every estimate to ~0, then set each endpoint's RTT estimate by one (peak) sample */
function setRtts(bal: PeakEwma<string>, clock: FakeClock, rtts: Record<string, number>): void {
  clock.t += 1_000_000;
  for (const [ep, rtt] of Object.entries(rtts)) bal.release(ep, rtt, false);
}

describe('P2C over peak-EWMA', () => {
  it('a slow endpoint gets a small share of the traffic', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['fast-1', 'fast-2', 'slow'], { now: clock.now, random: seeded(1), ...noAccrual });
    const latency = (ep: string) => (ep === 'slow' ? 100 : 5);
    const counts = simulate(bal, clock, latency, 20_000);
    const total = 20_000;
    expect((counts.slow ?? 0) / total).toBeLessThan(0.05);
    // the fast ones share the rest about evenly
    expect(Math.abs((counts['fast-1'] ?? 0) - (counts['fast-2'] ?? 0)) / total).toBeLessThan(0.1);
  });

  it('equal endpoints share evenly', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['a', 'b', 'c'], { now: clock.now, random: seeded(2), ...noAccrual });
    const counts = simulate(bal, clock, () => 10, 9_000);
    for (const ep of ['a', 'b', 'c']) expect(counts[ep]! / 9_000).toBeGreaterThan(0.25);
  });

  it('weighs the estimate by requests in flight', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['a', 'b'], { now: clock.now, random: seeded(3), ...noAccrual });
    setRtts(bal, clock, { a: 10, b: 10 });
    // requests held in flight: the two stay within one of each other
    const held = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      held[bal.pick() as 'a' | 'b']++;
      expect(Math.abs(held.a - held.b)).toBeLessThanOrEqual(1);
    }
    // b twice as slow: held requests split about 2:1 (cost = rtt × (in flight + 1))
    const clock2 = new FakeClock();
    const bal2 = new PeakEwma(['a', 'b'], { now: clock2.now, random: seeded(4), ...noAccrual });
    setRtts(bal2, clock2, { a: 10, b: 20 });
    const held2 = { a: 0, b: 0 };
    for (let i = 0; i < 60; i++) held2[bal2.pick() as 'a' | 'b']++;
    expect(held2.a).toBeGreaterThanOrEqual(39);
    expect(held2.a).toBeLessThanOrEqual(41);
    expect(bal2.load('a')?.pending).toBe(held2.a);
    // releasing brings the count down
    bal2.release('a', 10, false);
    expect(bal2.load('a')?.pending).toBe(held2.a - 1);
  });

  it('a new endpoint starts at the default RTT (30 ms), and endpoints that stay keep their estimate', () => {
    const clock = new FakeClock();
    const factory = peakEwma({ now: clock.now, random: seeded(5), ...noAccrual });
    const first = factory(['old'], undefined) as PeakEwma<string>;
    setRtts(first, clock, { old: 50 });
    const second = factory(['old', 'new'], first) as PeakEwma<string>;
    expect(second.load('new')?.rttMs).toBe(30);
    expect(second.load('old')?.rttMs).toBe(50);
    // 30 < 50: the new endpoint is preferred
    expect(second.pick()).toBe('new');

    // against an endpoint measured at 10 ms, the new one (30 ms) is not
    const clock2 = new FakeClock();
    const f2 = peakEwma({ now: clock2.now, random: seeded(6), ...noAccrual });
    const b1 = f2(['old'], undefined) as PeakEwma<string>;
    setRtts(b1, clock2, { old: 10 });
    const b2 = f2(['old', 'new'], b1) as PeakEwma<string>;
    expect(b2.pick()).toBe('old');

    // the default is configurable, with a floor of 1 ms
    expect(new PeakEwma(['x'], { defaultRttMs: 5, now: clock.now }).load('x')?.rttMs).toBe(5);
    expect(new PeakEwma(['x'], { defaultRttMs: 0, now: clock.now }).load('x')?.rttMs).toBe(1);
  });

  it('a higher sample replaces the estimate at once; lower ones blend in over the decay time', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['a'], { now: clock.now, decayMs: 10_000, ...noAccrual });
    bal.release('a', 200, false);
    expect(bal.load('a')?.rttMs).toBe(200);
    clock.t += 10_000;
    bal.release('a', 10, false);
    // w = e^-1: 200·w + 10·(1 − w)
    expect(bal.load('a')?.rttMs).toBeCloseTo(200 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 6);
  });

  it('decay over time brings a recovered endpoint back into rotation', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['a', 'b'], { now: clock.now, random: seeded(7), ...noAccrual });
    let bSlow = true;
    const latency = (ep: string) => (ep === 'b' && bSlow ? 500 : 5);
    // b is slow: after its first answers it is avoided
    simulate(bal, clock, latency, 2_000, 10);
    bSlow = false;
    const soon = simulate(bal, clock, latency, 5_000, 10);
    expect(soon.b ?? 0).toBeLessThanOrEqual(1);
    // b has recovered; its estimate decays until it is tried again, then it takes its share
    simulate(bal, clock, latency, 60_000, 10);
    const later = simulate(bal, clock, latency, 10_000, 10);
    expect((later.b ?? 0) / 1_000).toBeGreaterThan(0.3);
  });

  it('picks over the endpoints given; none given: nothing', () => {
    const bal = new PeakEwma<string>([], noAccrual);
    expect(bal.size).toBe(0);
    expect(bal.pick()).toBeUndefined();
    const one = new PeakEwma(['only'], noAccrual);
    expect(one.pick()).toBe('only');
    expect(one.nextChangeMs()).toBe(Infinity);
  });
});

describe('PeakEwma: an endpoint that says it is overloaded (429 / RESOURCE_EXHAUSTED)', () => {
  it('is avoided for its Retry-After while another endpoint is available, then takes traffic again', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['busy', 'calm'], { ...noAccrual, now: clock.now, random: seeded(7) });
    // both equally fast; a request to busy is answered 429 with Retry-After: 2 s
    bal.pick();
    bal.release('busy', 5, true, 2_000);
    const during: string[] = [];
    for (let i = 0; i < 50; i++) {
      clock.t += 10;
      const ep = bal.pick()!;
      during.push(ep);
      bal.release(ep, 5, false);
    }
    expect(during.filter((e) => e === 'busy')).toEqual([]);
    clock.t += 2_000;
    const after: string[] = [];
    for (let i = 0; i < 50; i++) {
      clock.t += 10;
      const ep = bal.pick()!;
      after.push(ep);
      bal.release(ep, 5, false);
    }
    expect(after.filter((e) => e === 'busy').length).toBeGreaterThan(10);
  });

  it('is still picked when it is the only endpoint (avoided, not ejected)', () => {
    const clock = new FakeClock();
    const bal = new PeakEwma(['busy'], { ...noAccrual, now: clock.now });
    bal.release(bal.pick()!, 5, true, 30_000);
    expect(bal.pick()).toBe('busy');
  });
});
