import { describe, expect, it } from 'vitest';
import { emptyGolden, goldenTotal, type GoldenSnapshot } from '../../../engine/analysis/index.js';
import { ComparisonRun, SideWindow } from '../../../rollouts/metrics/compare-window.js';

function answered(success: number, failure = 0): GoldenSnapshot {
  const g = emptyGolden();
  g.responses = { success, failure };
  g.latencyBuckets = { '10': success + failure, '+Inf': success + failure };
  return g;
}

const START = 1_000_000;

describe('one side of a comparison window', () => {
  it('counts pods that existed before the start from their first scrape, and pods created later from zero', () => {
    const w = new SideWindow(START);
    w.update([{ key: 'old', createdAt: START - 60_000, golden: answered(500) }]);
    w.update([
      { key: 'old', createdAt: START - 60_000, golden: answered(520) },
      { key: 'new', createdAt: START + 2_000, golden: answered(7) },
      // first seen after the first update, but created before the start: its history is not the run's
      { key: 'late', createdAt: START - 1_000, golden: answered(300) },
    ]);
    expect(goldenTotal(w.total())).toBe(20 + 7);
  });

  it('adds across a restarted sidecar and keeps what a gone pod answered', () => {
    const w = new SideWindow(START);
    w.update([{ key: 'a', golden: answered(10) }]);
    w.update([{ key: 'a', golden: answered(40, 2) }]);
    w.update([{ key: 'a', golden: answered(5) }]); // restarted: 5 more
    w.update([]); // gone
    expect(w.total().responses).toEqual({ success: 35, failure: 2 });
  });
});

describe('a comparison run', () => {
  it("starts both windows with the canary's first response", () => {
    const run = new ComparisonRun('rev2', START);
    const settings = { effect: 0.01, alpha: 0.05, min: 10 };
    const metrics = [{ name: 'weir-compare-errors', settings }];
    run.update([{ key: 'c', golden: answered(0) }], [{ key: 'p', golden: answered(1000) }], metrics);
    // the primary fails a lot before the canary answers anything: none of it is compared
    run.update([{ key: 'c', golden: answered(0) }], [{ key: 'p', golden: answered(1000, 900) }], metrics);
    run.update([{ key: 'c', golden: answered(20) }], [{ key: 'p', golden: answered(1030, 900) }], metrics);
    expect(run.look('weir-compare-errors')?.line).toMatch(
      /^canary errors 0\.00% \(0\/20\) vs primary 0\.00% \(0\/30\) \(n=20 vs 30\)/,
    );
  });
});
