import { describe, expect, it } from 'vitest';
import {
  analysisIntervalMs,
  applyPhase,
  fnv32a,
  maxWeight,
  metricWindowMs,
  parseIntervalMs,
  nextCanaryWeight,
  safeEncodeString,
  stableStringify,
  templateHash,
  weightLadder,
} from '../../../engine/canary/index.js';
import type { CanaryAnalysis, CanaryStatus } from '../../../engine/resources/index.js';
import { makeCanary } from './harness.js';

const analysis = (a: Partial<CanaryAnalysis>): CanaryAnalysis =>
  ({ interval: '10s', threshold: 1, ...a }) as CanaryAnalysis;

describe('weights', () => {
  it.each([
    [{ stepWeight: 10, maxWeight: 50 }, [10, 20, 30, 40, 50]],
    [{ stepWeight: 20, maxWeight: 50 }, [20, 40, 50]],
    [{ stepWeight: 50 }, [50, 100]],
    [{ stepWeight: 30, maxWeight: 100 }, [30, 60, 90, 100]],
    [{ stepWeights: [1, 2, 10, 80] }, [1, 2, 10, 80]],
    [{ stepWeights: [1, 2, 10, 200] }, [1, 2, 10, 100]],
    [{ stepWeights: [10, 20, 30, 40, 50, 60] }, [10, 20, 30, 40, 50, 60]],
    [{}, []],
  ])('%j -> %j', (a, ladder) => {
    expect(weightLadder(analysis(a))).toEqual(ladder);
  });

  it('maxWeight: stepWeights last rung capped at 100, else maxWeight or 100', () => {
    expect(maxWeight(analysis({ stepWeights: [5, 500] }))).toBe(100);
    expect(maxWeight(analysis({ stepWeight: 5, maxWeight: 30 }))).toBe(30);
    expect(maxWeight(analysis({ stepWeight: 5 }))).toBe(100);
  });

  it('a weight off the ladder moves to the next rung above it', () => {
    expect(nextCanaryWeight(analysis({ stepWeights: [10, 40, 80] }), 25)).toBe(40);
    expect(nextCanaryWeight(analysis({ stepWeight: 10, maxWeight: 50 }), 50)).toBe(50);
  });
});

describe('revision hash', () => {
  it('FNV-32a matches the reference vectors', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('SafeEncodeString maps digits as Kubernetes does', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('does not depend on key order, and changes with any template change', () => {
    const a = {
      metadata: { labels: { app: 'podinfo' } },
      spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0' }] },
    };
    const b = {
      spec: { containers: [{ image: 'podinfo:6.0.0', name: 'app' }] },
      metadata: { labels: { app: 'podinfo' } },
    };
    expect(stableStringify(a)).toBe(stableStringify(b));
    expect(templateHash(a)).toBe(templateHash(b));
    expect(templateHash(a)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    const c = structuredClone(a);
    c.metadata.labels = { app: 'podinfo', 'redeploy-at': '1' } as typeof c.metadata.labels;
    expect(templateHash(c)).not.toBe(templateHash(a));
  });
});

describe('intervals', () => {
  it('Go durations, Weir floor 1 s (Flagger 10 s)', () => {
    expect(analysisIntervalMs(makeCanary({ interval: '30s' }))).toBe(30_000);
    expect(analysisIntervalMs(makeCanary({ interval: '1m' }))).toBe(60_000);
    expect(analysisIntervalMs(makeCanary({ interval: '2s' }))).toBe(2_000);
    expect(analysisIntervalMs(makeCanary({ interval: '0s' }))).toBe(1_000);
    expect(analysisIntervalMs(makeCanary({ interval: '1m30s' }))).toBe(90_000);
    // what Flagger's unanchored CRD pattern lets through ("5sx") is a validation error in Weir (go-duration.test.ts);
    // an unparsable interval that still reaches the scheduler is Flagger's 60 s default
    expect(parseIntervalMs('5sx', 60_000)).toBe(60_000);
    expect(metricWindowMs({ name: 'x', interval: '1m' })).toBe(60_000);
  });
});

describe('setStatusPhase side effects', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const base: CanaryStatus = {
    phase: 'Progressing',
    canaryWeight: 40,
    failedChecks: 1,
    iterations: 2,
    lastAppliedSpec: 'x',
  };
  it('resets weight and iterations outside Progressing/Waiting/Promoting', () => {
    expect(applyPhase(base, 'Finalising', { analysis: undefined, kind: 'Deployment', now })).toMatchObject({
      canaryWeight: 0,
      iterations: 0,
      failedChecks: 1,
    });
    expect(applyPhase(base, 'Promoting', { analysis: undefined, kind: 'Deployment', now })).toMatchObject({
      canaryWeight: 40,
    });
  });
  it('Succeeded copies lastAppliedSpec to lastPromotedSpec; WaitingPromotion keeps the real weight', () => {
    expect(applyPhase(base, 'Succeeded', { analysis: undefined, kind: 'Deployment', now }).lastPromotedSpec).toBe('x');
    const wp = applyPhase(base, 'WaitingPromotion', {
      analysis: analysis({ iterations: 5 }),
      kind: 'Deployment',
      now,
    });
    expect(wp).toMatchObject({ canaryWeight: 40, iterations: 4 });
  });
  it('keeps lastTransitionTime of the condition while its status does not change', () => {
    const a = applyPhase({ ...base, conditions: undefined }, 'Progressing', {
      analysis: undefined,
      kind: 'Deployment',
      now,
    });
    const later = new Date('2026-01-01T00:05:00Z');
    const b = applyPhase(a, 'Promoting', { analysis: undefined, kind: 'Deployment', now: later });
    expect(b.conditions?.[0]).toMatchObject({
      status: 'Unknown',
      reason: 'Promoting',
      lastTransitionTime: now.toISOString(),
      lastUpdateTime: later.toISOString(),
    });
  });
});
