import { describe, expect, it } from 'vitest';
import { outageReport, phaseOf, type RequestRecord } from '../../bench/outage-stats.js';

const times = { killedAt: 1_000, restartedAt: 2_000 };
const ok = (due: number, proxy: number, upstream: string, latency = 1): RequestRecord => ({
  due,
  done: due + latency,
  proxy,
  ok: true,
  upstream,
});

describe('the control-plane outage report', () => {
  it('puts each request in a phase by its due time', () => {
    expect(phaseOf(999, times)).toBe('before');
    expect(phaseOf(1_000, times)).toBe('down');
    expect(phaseOf(1_999, times)).toBe('down');
    expect(phaseOf(2_000, times)).toBe('after');
  });

  it('counts failures by reason and summarizes latency from the due time per phase', () => {
    const records: RequestRecord[] = [
      ok(10, 0, 'a', 2),
      ok(20, 0, 'a', 4),
      { due: 1_500, done: 1_510, proxy: 1, ok: false, error: 'status 503' },
      { due: 1_600, done: 6_600, proxy: 1, ok: false, error: 'timeout' },
      { due: 1_700, done: 1_701, proxy: 0, ok: false, error: 'status 503' },
      ok(2_100, 0, 'b', 3),
    ];
    const r = outageReport(records, times, [[], []], { before: 'a', after: 'b' });
    expect(r.total).toBe(6);
    expect(r.failed).toBe(3);
    expect(r.failures).toEqual([
      ['status 503', 2],
      ['timeout', 1],
    ]);
    expect(r.byPhase.before).toEqual({ requests: 2, failed: 0, p50: 2, p99: 4, max: 4 });
    expect(r.byPhase.down.failed).toBe(3);
    expect(r.byPhase.down.max).toBe(5_000);
    expect(r.byPhase.after).toEqual({ requests: 1, failed: 0, p50: 3, p99: 3, max: 3 });
  });

  it('times each proxy’s resync from the restart: its applied line, its first answer from the new upstream, its last from the old one', () => {
    const records: RequestRecord[] = [
      ok(1_500, 0, 'a'), // during the outage: the old route, as it should
      ok(2_300, 0, 'a'),
      ok(2_050, 0, 'a'), // out of order on purpose
      ok(2_400, 0, 'b'),
      ok(2_500, 0, 'b'),
      ok(2_010, 1, 'b'),
      { due: 2_600, done: 2_601, proxy: 1, ok: false, error: 'ECONNRESET' },
    ];
    const r = outageReport(
      records,
      times,
      [
        [500, 2_350],
        [1_990, 2_005],
      ],
      { before: 'a', after: 'b' },
    );
    expect(r.resync).toEqual([
      { proxy: 0, appliedMs: 350, firstNewMs: 400, lastOldMs: 300 },
      { proxy: 1, appliedMs: 5, firstNewMs: 10, lastOldMs: 0 },
    ]);
    expect(r.slowest).toEqual({ appliedMs: 350, firstNewMs: 400, lastOldMs: 300 });
  });

  it('says a proxy never resynced rather than inventing a time', () => {
    const r = outageReport([ok(2_100, 0, 'a')], times, [[100]], { before: 'a', after: 'b' });
    expect(r.resync[0]).toEqual({ proxy: 0, appliedMs: undefined, firstNewMs: undefined, lastOldMs: 100 });
    expect(r.slowest.appliedMs).toBeUndefined();
    expect(() => outageReport([], { killedAt: 5, restartedAt: 4 }, [], { before: 'a', after: 'b' })).toThrow(
      /restartedAt/,
    );
  });
});
