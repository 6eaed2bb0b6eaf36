import { describe, expect, it } from 'vitest';
import type { Canary, Pod } from '../../../engine/resources/index.js';
import { humanDuration } from '../../../cli/output/age.js';
import { strategyLabel } from '../../../cli/output/columns/canary.js';
import { podRestarts, podStatus } from '../../../cli/output/columns/pod.js';

describe("kubectl's short durations", () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [119_000, '119s'],
    [192_000, '3m12s'],
    [300_000, '5m'],
    [15 * 60_000, '15m'],
    [(5 * 60 + 30) * 60_000, '5h30m'],
    [20 * 3_600_000, '20h'],
    [(2 * 24 + 4) * 3_600_000, '2d4h'],
    [30 * 86_400_000, '30d'],
    [(3 * 365 + 45) * 86_400_000, '3y45d'],
  ])('%i ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

const pod = (status: Record<string, unknown>, deleting = false): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'app' }] },
    status,
  }) as unknown as Pod;

describe('the STATUS and RESTARTS of a pod, as kubectl prints them', () => {
  it('is the waiting reason of a container that is not running', () => {
    const crash = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:50Z' } },
        },
      ],
    });
    expect(podStatus(crash)).toBe('CrashLoopBackOff');
    expect(podRestarts(crash, Date.parse('2026-01-01T00:01:00Z'))).toBe('3 (10s ago)');
  });

  it('is the phase of a running pod, Terminating while it stops', () => {
    const running = {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    };
    expect(podStatus(pod(running))).toBe('Running');
    expect(podRestarts(pod(running), Date.now())).toBe('0');
    expect(podStatus(pod(running, true))).toBe('Terminating');
    expect(podStatus(pod({ phase: 'Pending' }))).toBe('Pending');
  });
});

const canary = (analysis: Record<string, unknown>, status?: Record<string, unknown>): Canary =>
  ({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { name: 'podinfo' }, analysis: { interval: '1s', threshold: 3, ...analysis } },
    ...(status ? { status } : {}),
  }) as unknown as Canary;

describe('the strategy of a Canary, as Flagger derives it', () => {
  it('names canary, A/B, blue/green and mirror', () => {
    expect(strategyLabel(canary({ stepWeight: 10 }))).toBe('canary');
    expect(strategyLabel(canary({ iterations: 5, match: [{ headers: {} }] }))).toBe('A/B');
    expect(strategyLabel(canary({ iterations: 5 }))).toBe('blue/green');
    expect(strategyLabel(canary({ iterations: 5, mirror: true }))).toBe('mirror');
  });
});
