import { describe, expect, it } from 'vitest';
import {
  cpuMicrosPerRequest,
  median,
  medianDiff,
  medianRatio,
  parseH2loadLog,
  percentileSorted,
  ratio,
} from '../../bench/stats.js';

describe('bench stats', () => {
  it('takes nearest-rank percentiles of sorted samples', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentileSorted(xs, 50)).toBe(500);
    expect(percentileSorted(xs, 99)).toBe(990);
    expect(percentileSorted(xs, 99.9)).toBe(999);
    expect(percentileSorted(xs, 100)).toBe(1000);
    expect(percentileSorted([7], 0)).toBe(7);
    expect(percentileSorted([], 50)).toBeNaN();
  });

  it('medians ignore missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('takes ratios per repetition, then the median', () => {
    const weir = new Map([
      [1, 6000],
      [2, 9000],
      [3, 7000],
    ]);
    const haproxy = new Map([
      [1, 12000],
      [2, 15000],
      [3, 20000],
    ]);
    // 0.5, 0.6, 0.35 -> 0.5 (not 7000 / 15000)
    expect(medianRatio(weir, haproxy)).toBeCloseTo(0.5);
    // a repetition missing on one side does not count
    expect(medianRatio(new Map([[4, 1]]), haproxy)).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
  });

  it('takes added latency per repetition, then the median', () => {
    const p50 = new Map([
      [1, 0.4],
      [2, 0.5],
      [3, 0.45],
    ]);
    const direct = new Map([
      [1, 0.2],
      [2, 0.1],
      [3, 0.2],
    ]);
    expect(medianDiff(p50, direct)).toBeCloseTo(0.25);
  });

  it('turns CPU seconds into microseconds per request', () => {
    expect(cpuMicrosPerRequest(1.5, 30_000)).toBeCloseTo(50);
    expect(cpuMicrosPerRequest(1, 0)).toBeNaN();
  });

  it('reads h2load log files, dropping the warm-up', () => {
    const log = [
      '1000000\t200\t500',
      '1500000\t200\t300',
      '2100000\t200\t900',
      '2200000\t-1\t0',
      '2300000\t200\t100',
    ].join('\n');
    const all = parseH2loadLog(`${log}\n`);
    expect(all.durationsUs).toEqual([100, 300, 500, 900]);
    expect(all.failed).toBe(1);
    const measured = parseH2loadLog(log, 1);
    expect(measured.durationsUs).toEqual([100, 900]);
    expect(measured.failed).toBe(1);
  });
});
