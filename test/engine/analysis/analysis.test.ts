import { describe, expect, it } from 'vitest';
import {
  counterIncrease,
  evaluateMetric,
  goDurationMs,
  goldenIncrease,
  goldenLatencyQuantileMs,
  goldenSnapshot,
  goldenSuccessRate,
  histogramQuantile,
  parsePromText,
  sumGolden,
  type MetricObservation,
} from '../../../engine/analysis/index.js';
import type { CanaryMetric } from '../../../engine/resources/index.js';

const subject = { canary: 'podinfo', namespace: 'test', target: 'podinfo' };
const m = (x: Partial<CanaryMetric> & { name: string }): CanaryMetric => ({ interval: '1m', ...x }) as CanaryMetric;
const obs = (name: string, value?: number): MetricObservation => ({ name, value, provider: 'mesh' });

describe('threshold evaluation (Flagger scheduler_metrics.go)', () => {
  it.each([
    // metric, value, ok, message
    [m({ name: 'request-success-rate', thresholdRange: { min: 99 } }), 99, true, undefined],
    [
      m({ name: 'request-success-rate', thresholdRange: { min: 99 } }),
      88,
      false,
      'Halt podinfo.test advancement success rate 88.00% < 99%',
    ],
    [
      m({ name: 'request-success-rate', thresholdRange: { min: 99.5 } }),
      99.4,
      false,
      'Halt podinfo.test advancement success rate 99.40% < 99.5%',
    ],
    [
      m({ name: 'request-success-rate', thresholdRange: { max: 50 } }),
      60,
      false,
      'Halt podinfo.test advancement success rate 60.00% > 50%',
    ],
    [
      m({ name: 'request-success-rate', threshold: 99 }),
      98,
      false,
      'Halt podinfo.test advancement success rate 98.00% < 99%',
    ],
    [m({ name: 'request-success-rate', threshold: 99 }), 100, true, undefined],
    [m({ name: 'request-success-rate' }), 1, true, undefined],
    [m({ name: 'request-duration', thresholdRange: { max: 500 } }), 500.9, true, undefined],
    [
      m({ name: 'request-duration', thresholdRange: { max: 500 } }),
      501,
      false,
      'Halt podinfo.test advancement request duration 501ms > 500ms',
    ],
    [
      m({ name: 'request-duration', thresholdRange: { min: 10 } }),
      5,
      false,
      'Halt podinfo.test advancement request duration 5ms < 10ms',
    ],
    [
      m({ name: 'request-duration', threshold: 300 }),
      1200,
      false,
      'Halt podinfo.test advancement request duration 1.2s > 300ms',
    ],
    [m({ name: 'request-duration', threshold: 300 }), 299, true, undefined],
    [
      m({ name: 'error-rate', query: 'sum(x)', thresholdRange: { max: 1 } }),
      1.5,
      false,
      'Halt podinfo.test advancement error-rate 1.50 > 1',
    ],
    [m({ name: 'error-rate', query: 'sum(x)', threshold: 5 }), 4, true, undefined],
    [
      m({ name: 'error-rate', templateRef: { name: 't' }, thresholdRange: { min: 2 } }),
      1,
      false,
      'Halt podinfo.test advancement error-rate 1.00 < 2',
    ],
  ])('%j = %s', (metric, value, ok, message) => {
    const r = evaluateMetric(subject, metric, obs(metric.name, value));
    expect(r.ok).toBe(ok);
    expect(r.message).toBe(message);
    expect(r.value).toBe(value);
  });

  it('no data fails with the no-values message; records the threshold', () => {
    const r = evaluateMetric(
      subject,
      m({ name: 'request-success-rate', thresholdRange: { min: 99 } }),
      obs('request-success-rate'),
    );
    expect(r).toEqual({
      metric: 'request-success-rate',
      value: undefined,
      ok: false,
      noData: true,
      threshold: { min: 99 },
      message:
        'Halt advancement no values found for mesh metric request-success-rate probably podinfo.test is not receiving traffic: no values found',
    });
    const custom = evaluateMetric(subject, m({ name: 'lat', query: 'q', thresholdRange: { max: 1 } }), undefined);
    expect(custom.message).toBe('Halt advancement no values found for custom metric: lat: no values found');
  });

  it('a non-builtin metric without query or template fails', () => {
    const r = evaluateMetric(subject, m({ name: 'mystery', thresholdRange: { max: 1 } }), obs('mystery', 0));
    expect(r.ok).toBe(false);
    expect(r.message).toBe('Metric query failed for no usable metrics template and query were configured');
  });

  it('a query error fails with the error', () => {
    const r = evaluateMetric(subject, m({ name: 'request-duration', thresholdRange: { max: 1 } }), {
      name: 'request-duration',
      error: 'connection refused',
    });
    expect(r.message).toBe('Metric query failed for request-duration: connection refused');
  });

  it('formats Go durations', () => {
    expect([0, 5, 999, 1000, 1500, 60_000, 61_500, 3_723_000].map(goDurationMs)).toEqual([
      '0s',
      '5ms',
      '999ms',
      '1s',
      '1.5s',
      '1m0s',
      '1m1.5s',
      '1h2m3s',
    ]);
  });
});

describe('histogram_quantile (Prometheus bucketQuantile)', () => {
  it('interpolates linearly inside the bucket holding the rank', () => {
    // 100 observations: 50 <= 10ms, 90 <= 50ms, 100 <= 100ms
    const b = [
      { le: 10, count: 50 },
      { le: 50, count: 90 },
      { le: 100, count: 100 },
      { le: Infinity, count: 100 },
    ];
    // rank 99 -> bucket (50,100], 9 of 10 -> 50 + 50 * 0.9 = 95
    expect(histogramQuantile(0.99, b)).toBeCloseTo(95, 10);
    // rank 50 -> first bucket, from 0: 10 * 50/50 = 10
    expect(histogramQuantile(0.5, b)).toBeCloseTo(10, 10);
    // rank 25 -> 10 * 25/50 = 5
    expect(histogramQuantile(0.25, b)).toBeCloseTo(5, 10);
    // rank 70 -> 10 + 40 * (20/40) = 30
    expect(histogramQuantile(0.7, b)).toBeCloseTo(30, 10);
  });
  it('rank in +Inf answers the highest finite bound; no observations is NaN', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 10, count: 1 },
        { le: Infinity, count: 100 },
      ]),
    ).toBe(10);
    expect(
      histogramQuantile(0.99, [
        { le: 10, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.99, [{ le: 10, count: 3 }])).toBeNaN();
    expect(histogramQuantile(1.5, [{ le: Infinity, count: 3 }])).toBe(Infinity);
    expect(histogramQuantile(-1, [{ le: Infinity, count: 3 }])).toBe(-Infinity);
  });
  it('counter increase handles resets', () => {
    expect(counterIncrease(10, 25)).toBe(15);
    expect(counterIncrease(100, 7)).toBe(7);
    expect(counterIncrease(undefined, 7)).toBe(7);
  });
});

const exposition = (success: number, failure: number, buckets: Record<string, number>) =>
  [
    '# HELP response_total Total responses',
    '# TYPE response_total counter',
    `response_total{direction="inbound",namespace="test",deployment="podinfo",pod="podinfo-1",authority="podinfo.test:9898",classification="success",status_code="200"} ${success}`,
    `response_total{direction="inbound",namespace="test",deployment="podinfo",pod="podinfo-1",authority="podinfo.test:9898",classification="failure",status_code="500"} ${failure}`,
    `response_total{direction="outbound",namespace="test",deployment="podinfo",classification="failure",status_code="500"} 999`,
    '# TYPE response_latency_ms histogram',
    ...Object.entries(buckets).map(
      ([le, v]) =>
        `response_latency_ms_bucket{direction="inbound",namespace="test",deployment="podinfo",le="${le}"} ${v}`,
    ),
    `response_latency_ms_bucket{direction="outbound",le="+Inf"} 12345`,
    `response_latency_ms_count{direction="inbound"} ${buckets['+Inf'] ?? 0}`,
  ].join('\n');

describe('golden metrics from two snapshots', () => {
  it('success rate and p99 over the window, hand-computed', () => {
    const t0 = goldenSnapshot(
      parsePromText(exposition(100, 0, { '10': 50, '50': 90, '100': 100, '+Inf': 100 })).samples,
    );
    const t1 = goldenSnapshot(
      parsePromText(exposition(280, 20, { '10': 150, '50': 270, '100': 298, '+Inf': 300 })).samples,
    );
    const inc = goldenIncrease(t0, t1);
    expect(inc.responses).toEqual({ success: 180, failure: 20 });
    // 180 / 200
    expect(goldenSuccessRate(inc)).toBeCloseTo(90, 10);
    // increases: <=10:100, <=50:180, <=100:198, +Inf:200; rank 198 -> bucket (50,100]: 50 + 50 * (18/18) = 100
    expect(goldenLatencyQuantileMs(0.99, inc)).toBeCloseTo(100, 10);
    // p50: rank 100 -> first bucket: 10 * 100/100 = 10
    expect(goldenLatencyQuantileMs(0.5, inc)).toBeCloseTo(10, 10);
  });

  it('no traffic = no data; a restarted proxy counts from zero', () => {
    const a = goldenSnapshot(parsePromText(exposition(100, 0, { '10': 100, '+Inf': 100 })).samples);
    expect(goldenSuccessRate(goldenIncrease(a, a))).toBeUndefined();
    expect(goldenLatencyQuantileMs(0.99, goldenIncrease(a, a))).toBeUndefined();
    const restarted = goldenSnapshot(parsePromText(exposition(3, 1, { '10': 4, '+Inf': 4 })).samples);
    expect(goldenIncrease(a, restarted).responses).toEqual({ success: 3, failure: 1 });
    expect(goldenSuccessRate(sumGolden([goldenIncrease(a, restarted), goldenIncrease(undefined, restarted)]))).toBe(75);
  });
});

describe('Prometheus text parser', () => {
  it('reads names, labels with escapes, special values and timestamps; reports bad lines', () => {
    const r = parsePromText(
      [
        '# HELP x y',
        'up 1',
        'a_total{path="/a\\"b\\\\c\\nd",code="200"} 12.5 1700000000000',
        'b{le="+Inf"} +Inf',
        'c{x="1",} NaN',
        'd -Inf',
        'e 1e3',
        '   ',
        'broken{x="1" 3',
        'nolabels{} 4',
      ].join('\n'),
    );
    expect(r.samples).toHaveLength(7);
    expect(r.samples[0]).toEqual({ name: 'up', labels: {}, value: 1 });
    expect(r.samples[1]).toEqual({
      name: 'a_total',
      labels: { path: '/a"b\\c\nd', code: '200' },
      value: 12.5,
      timestampMs: 1700000000000,
    });
    expect(r.samples[2]?.value).toBe(Infinity);
    expect(r.samples[3]?.value).toBeNaN();
    expect(r.samples[4]?.value).toBe(-Infinity);
    expect(r.samples[5]?.value).toBe(1000);
    expect(r.samples[6]).toEqual({ name: 'nolabels', labels: {}, value: 4 });
    expect(r.errors).toEqual([{ line: 9, text: 'broken{x="1" 3' }]);
  });
});
