import { describe, expect, it } from 'vitest';
import type { AdvanceInput, FastRollbackObservation } from '../../../engine/canary/index.js';
import { makeCanary, World } from './harness.js';

/** the World with a breach from the fast-rollback watcher in the next ticks' observations */
class FastWorld extends World {
  breach: FastRollbackObservation | undefined;

  override input(): AdvanceInput {
    const input = super.input();
    if (this.breach) input.observations.fastRollback = this.breach;
    return input;
  }
}

const reason =
  'success rate 50.00% over 40 requests (20 failed): Wilson upper bound 80.00% (run confidence 99.9%, look 3, z 3.66) below the threshold 99%';

function breachOf(revision: string): FastRollbackObservation {
  return {
    revision,
    reason,
    total: 40,
    failures: 20,
    upperPercent: 80,
    thresholdPercent: 99,
    at: '2026-01-01T00:00:30.000Z',
  };
}

/** a new revision at canary weight 20, interval checks passing, no failed check */
function progressingAt20(): FastWorld {
  const w = new FastWorld(makeCanary({ threshold: 5 }));
  w.initialize();
  w.newRevision();
  w.tick();
  while ((w.routes?.canary ?? 0) < 20) w.tick();
  w.events = [];
  w.alerts = [];
  return w;
}

describe('fast rollback in the scheduler', () => {
  it('a breach of the current run rolls back at once: 100/0, Failed, FastRollback event, condition and alert', () => {
    const w = progressingAt20();
    expect(w.status.failedChecks).toBe(0);
    w.breach = breachOf(w.status.lastAppliedSpec!);
    const queries = w.metricQueries;
    const events = w.tick();
    expect(w.routes).toMatchObject({ primary: 100, canary: 0 });
    expect(w.status.phase).toBe('Failed');
    expect(w.lastActions.map((a) => a.type)).toEqual([
      'reconcileServices',
      'reconcileApexService',
      'reconcileRoute',
      'setRoutes',
      'scaleTarget',
      'runHooks',
    ]);
    expect(events[0]).toEqual({
      type: 'Warning',
      reason: 'FastRollback',
      message: `Rolling back podinfo.test fast rollback: ${reason}`,
    });
    expect(events.map((e) => e.message)).toContain('Canary failed! Scaling down podinfo.test');
    expect(w.status.conditions?.find((c) => c.type === 'Analysis')).toMatchObject({
      status: 'False',
      reason: 'FastRollback',
      message: `fast rollback at weight 20: ${reason}`,
    });
    expect(w.alerts).toContainEqual({ severity: 'error', message: `Fast rollback: ${reason}` });
    // the metrics were not needed: the breach decides before the interval checks
    expect(w.metricQueries).toBe(queries);
  });

  it('ignores a breach of another run (an older revision)', () => {
    const w = progressingAt20();
    w.breach = breachOf('rev1');
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    expect(w.routes?.canary).toBeGreaterThan(0);
  });

  it('ignores a breach outside Progressing and WaitingPromotion', () => {
    const w = new FastWorld(makeCanary());
    w.initialize();
    w.breach = breachOf(w.status.lastAppliedSpec ?? 'rev1');
    w.tick();
    expect(w.status.phase).toBe('Initialized');
    expect(w.events.some((e) => e.reason === 'FastRollback')).toBe(false);
  });
});
