import { describe, expect, it } from 'vitest';
import { parseDurationMs, type Canary } from '../../../engine/resources/index.js';
import { analysisIntervalMs, metricWindowMs } from '../../../engine/canary/index.js';
import { decode, withField, yamlDoc } from './helpers.js';

describe("Go's time.ParseDuration syntax", () => {
  it.each([
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['1ns', 1e-6],
    ['500us', 0.5],
    ['500\u00b5s', 0.5], // micro sign
    ['500\u03bcs', 0.5], // Greek mu
    ['1.5s', 1500],
    ['.5s', 500],
    ['5.s', 5000],
    ['300ms', 300],
    ['1h30m', 5_400_000],
    ['2h45m0.5s', 9_900_500],
    ['1m30s', 90_000],
    ['1h1h', 7_200_000],
    ['+5s', 5000],
    ['-1.5h', -5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', '10', 's', '.s', '1.5', '1d', '1 h', '1H', '--1s', '1s ', '1e3s', '3000000h'])(
    '%j is not a duration',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );
});

const canary = yamlDoc(`
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898, timeout: 1m30s }
  analysis:
    interval: 1m30s
    threshold: 5
    stepWeight: 10
    metrics:
      - { name: request-success-rate, interval: 1h, thresholdRange: { min: 99 } }
    webhooks:
      - { name: load, url: "http://loadtester/", timeout: 1.5s }
`);

describe('durations of a Canary', () => {
  it('take the whole Go syntax: interval, metric interval, webhook timeout, service timeout', () => {
    const r = decode(canary, 'c.yaml');
    expect(r.errors).toEqual([]);
    const c = r.object as Canary;
    expect(analysisIntervalMs(c)).toBe(90_000);
    expect(metricWindowMs(c.spec.analysis!.metrics![0]!)).toBe(3_600_000);
    for (const [path, value] of [
      ['spec.analysis.interval', '0'],
      ['spec.analysis.interval', '2m0.5s'],
      ['spec.analysis.metrics[0].interval', '500us'],
      ['spec.analysis.webhooks[0].timeout', '750ms'],
      ['spec.service.timeout', '0'],
    ] as const) {
      expect(decode(withField(canary, path, value), 'c.yaml').errors).toEqual([]);
    }
  });

  it('an interval of 0 ticks at the floor (1 s), as Flagger clamps it to its own (10 s)', () => {
    const c = decode(withField(canary, 'spec.analysis.interval', '0'), 'c.yaml').object as Canary;
    expect(analysisIntervalMs(c)).toBe(1_000);
  });

  it.each([
    ['spec.analysis.interval', '-1m'],
    ['spec.analysis.metrics[0].interval', '-1h'],
    ['spec.analysis.webhooks[0].timeout', '-500ms'],
    ['spec.service.timeout', '-1s'],
    ['spec.service.backendTimeout', '-1s'],
  ])('a negative %s is rejected naming the field', (path, value) => {
    expect(decode(withField(canary, path, value), 'c.yaml').errors).toEqual([
      `c.yaml[1] ${path}: must not be negative, got "${value}"`,
    ]);
  });
});
