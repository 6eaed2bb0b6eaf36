import { describe, expect, it } from 'vitest';
import {
  COMPARE_LATENCY,
  alignedBuckets,
  alwaysValidP,
  confidenceInterval,
  emptyGolden,
  evaluateMetric,
  initialSequentialState,
  lookLatency,
  mixtureLikelihoodRatio,
  parseCompareSettings,
  slowerProbability,
  type MetricObservation,
} from '../../../engine/analysis/index.js';
import { canarySchema, canaryWarnings, type CanaryMetric } from '../../../engine/resources/index.js';
import { World, healthy, makeCanary } from '../canary/harness.js';

const subject = { canary: 'podinfo', namespace: 'test', target: 'podinfo' };
const latencyMetric = { name: COMPARE_LATENCY, interval: '1m' } as CanaryMetric;

function observed(verdict: 'worse' | 'not-worse' | 'undecided', line = 'canary p50 60ms ...'): MetricObservation {
  return { name: COMPARE_LATENCY, value: 0.9, provider: 'mesh', comparison: { verdict, line } };
}

describe('the settings of a comparative metric (its query field)', () => {
  it('defaults, and any subset of effect, alpha and min overrides them', () => {
    expect(parseCompareSettings(COMPARE_LATENCY, undefined)).toEqual({ effect: 0.1, alpha: 0.05, min: 100 });
    expect(parseCompareSettings('weir-compare-errors', 'min=200, alpha=0.01')).toEqual({
      effect: 0.01,
      alpha: 0.01,
      min: 200,
    });
  });

  it.each([
    ['effect=0', 'effect=0: expected a number above 0 and below 0.5'],
    ['alpha=5%', 'alpha=5%: expected a number above 0 and below 0.5'],
    ['min=2.5', 'min=2.5: expected a whole number of at least 10'],
    ['speed=1', '"speed": unknown setting, expected effect, alpha or min'],
    ['effect', '"effect": expected key=value with a key among effect, alpha, min'],
    ['min=20,min=30', '"min" is given twice'],
  ])('refuses %s', (query, message) => {
    expect(() => parseCompareSettings(COMPARE_LATENCY, query)).toThrow(message);
  });

  it('is checked at the edge: a Canary with bad settings is refused naming the field', () => {
    const canary = (query: string) => ({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { interval: '1s', threshold: 2, stepWeight: 10, metrics: [{ name: COMPARE_LATENCY, query }] },
      },
    });
    expect(canarySchema.safeParse(canary('effect=0.2,alpha=0.05,min=200')).success).toBe(true);
    const bad = canarySchema.safeParse(canary('effect=0.9'));
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['spec', 'analysis', 'metrics', 0, 'query'],
      message: 'weir-compare-latency settings: effect=0.9: expected a number above 0 and below 0.5',
    });
  });

  it('needs no query or template (no "neither query nor templateRef" warning), and warns that thresholds are unused', () => {
    const c = makeCanary({ metrics: [{ name: COMPARE_LATENCY, thresholdRange: { max: 1 } }] });
    expect(canaryWarnings(c).map((w) => w.message)).toEqual([
      'weir-compare-latency decides by its sequential test (effect, alpha, min in query): threshold and thresholdRange are not used',
    ]);
  });
});

describe('a comparative metric as a check', () => {
  it('fails on worse, with Flagger-style halt message carrying the line', () => {
    const r = evaluateMetric(subject, latencyMetric, observed('worse', 'canary p50 60ms: worse'));
    expect(r).toMatchObject({
      ok: false,
      message: 'Halt podinfo.test advancement weir-compare-latency canary p50 60ms: worse',
      explanation: 'canary p50 60ms: worse',
    });
  });

  it('passes on not worse; passes undecided except at the final check', () => {
    expect(evaluateMetric(subject, latencyMetric, observed('not-worse')).ok).toBe(true);
    expect(evaluateMetric(subject, latencyMetric, observed('undecided')).ok).toBe(true);
    const last = evaluateMetric(subject, latencyMetric, observed('undecided', 'x: undecided'), { final: true });
    expect(last).toMatchObject({ ok: false, explanation: 'x: undecided at the last step' });
    expect(evaluateMetric(subject, latencyMetric, undefined, { final: true }).ok).toBe(false);
  });

  it('fails on a query error', () => {
    const r = evaluateMetric(subject, latencyMetric, { name: COMPARE_LATENCY, error: 'no podinfo-primary' });
    expect(r).toMatchObject({ ok: false, message: 'Metric query failed for weir-compare-latency: no podinfo-primary' });
  });
});

describe('undecided in a canary run', () => {
  const metrics = [...healthy];
  function world(verdict: 'worse' | 'not-worse' | 'undecided'): World {
    const w = new World(
      makeCanary({
        stepWeight: 25,
        maxWeight: 50,
        threshold: 2,
        metrics: [{ name: COMPARE_LATENCY, interval: '1m' }],
      }),
    );
    w.metrics = () => [...metrics, observed(verdict, `canary p50 20ms vs primary p50 20ms: ${verdict}`)];
    w.initialize();
    w.newRevision();
    return w;
  }

  it('walks the weights while undecided, and holds at the last step until it rolls back', () => {
    const w = world('undecided');
    w.runUntil('Failed');
    const messages = w.messages();
    expect(messages).toContain('Advance podinfo.test canary weight 50');
    expect(messages.filter((m) => m.endsWith(': undecided at the last step'))).toEqual([
      'Halt podinfo.test advancement weir-compare-latency canary p50 20ms vs primary p50 20ms: undecided at the last step',
      'Halt podinfo.test advancement weir-compare-latency canary p50 20ms vs primary p50 20ms: undecided at the last step',
    ]);
  });

  it('promotes once decided not worse, saying why before it promotes', () => {
    const w = world('not-worse');
    w.runUntil('Succeeded');
    expect(w.messages()).toContain('weir-compare-latency canary p50 20ms vs primary p50 20ms: not-worse');
  });
});

describe('the statistics', () => {
  it('the mixture likelihood ratio is 1/alpha exactly at the confidence interval bounds', () => {
    const est = { theta: 0.03, variance: 0.0004 };
    const { lower, upper } = confidenceInterval(est, 0.05, 0.1);
    expect(mixtureLikelihoodRatio(est, lower, 0.1)).toBeCloseTo(20, 6);
    expect(mixtureLikelihoodRatio(est, upper, 0.1)).toBeCloseTo(20, 6);
    expect(alwaysValidP(est, 0.03, 0.1)).toBe(1);
  });

  it('P(canary slower) counts same-bucket pairs as ties, with DeLong variance ~ (1/12)(1/m + 1/n) for spread data', () => {
    expect(slowerProbability([0, 10], [10, 0])!.theta).toBeCloseTo(0.5, 9);
    expect(slowerProbability([10, 0], [0, 10])!.theta).toBeCloseTo(-0.5, 9);
    expect(slowerProbability([5, 5], [5, 5])!.theta).toBeCloseTo(0, 9);
    const spread = Array.from({ length: 1000 }, () => 1);
    expect(slowerProbability(spread, spread)!.variance).toBeCloseTo((1 / 12) * (2 / 1000), 5);
  });

  it('aligns two histograms bucket by bucket, and reads the line of a look', () => {
    const c = emptyGolden();
    const p = emptyGolden();
    c.responses.success = 200;
    p.responses.success = 200;
    c.latencyBuckets = { '50': 0, '100': 200, '+Inf': 200 };
    p.latencyBuckets = { '20': 180, '30': 200, '+Inf': 200 };
    expect(alignedBuckets(c, p)).toEqual({
      bounds: [20, 30, 50, 100, Infinity],
      a: [0, 0, 0, 200, 0],
      b: [180, 20, 0, 0, 0],
    });
    const look = lookLatency(initialSequentialState(), c, p, { effect: 0.1, alpha: 0.05, min: 100 });
    expect(look.verdict).toBe('worse');
    expect(look.line).toBe(
      'canary p50 75ms p99 100ms vs primary p50 11ms p99 29ms, P(canary slower)=1.00 (n=200 vs 200), always-valid p<1e-9 < 0.05: worse',
    );
  });
});
