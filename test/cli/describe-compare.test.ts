import { describe, expect, it } from 'vitest';
import { describeCanary } from '../../cli/commands/describe.js';
import { failureReason } from '../../cli/canary-failure.js';
import { canarySchema, type Canary, type KubeEvent } from '../../engine/resources/index.js';

const line =
  'canary p50 84ms p99 199ms vs primary p50 39ms p99 98ms, P(canary slower)=0.91 (n=144 vs 162), always-valid p<1e-9 < 0.05: worse';

function canary(): Canary {
  const c = canarySchema.parse({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        interval: '2s',
        threshold: 3,
        stepWeight: 20,
        maxWeight: 60,
        metrics: [
          { name: 'request-duration', thresholdRange: { max: 500 } },
          { name: 'weir-compare-latency', query: 'effect=0.2,min=50' },
        ],
      },
    },
  });
  return { ...c, status: { phase: 'Failed', failedChecks: 3, canaryWeight: 0, iterations: 0 } } as Canary;
}

const events = (...messages: string[]): KubeEvent[] =>
  messages.map(
    (message, i) =>
      ({
        message,
        type: 'Normal',
        reason: 'Synced',
        source: { component: 'flagger' },
        lastTimestamp: '2026-01-01T00:00:00Z',
        metadata: { name: `e${i}` },
      }) as unknown as KubeEvent,
  );

describe('weir describe canary with a comparative metric', () => {
  it('lists its settings and source, and gives its decision line as the failure reason', () => {
    const ev = events(
      'New revision detected! Scaling up podinfo.test',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 40',
      `Halt podinfo.test advancement weir-compare-latency ${line}`,
      `Halt podinfo.test advancement weir-compare-latency ${line}`,
      `Halt podinfo.test advancement weir-compare-latency ${line}`,
      'Rolling back podinfo.test failed checks threshold reached 3',
    );
    expect(failureReason(canary(), ev)).toBe(`weir-compare-latency ${line} at weight 40, 3/3 failed checks`);
    const out = describeCanary(canary(), ev, Date.parse('2026-01-01T00:01:00Z'));
    expect(out).toContain(`Failure: weir-compare-latency ${line} at weight 40, 3/3 failed checks`);
    expect(out).toMatch(
      /^ {2}weir-compare-latency\s+not worse than primary \(effect 0\.2, alpha 0\.05, min 50\)\s+1m\s+mesh \(canary vs primary\)$/m,
    );
  });
});
