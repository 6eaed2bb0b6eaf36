import { describe, expect, it } from 'vitest';
import type { Canary, KubeEvent } from '../../engine/resources/index.js';
import { failureReason } from '../../cli/canary-failure.js';

function canary(phase: string, threshold = 3): Canary {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { analysis: { interval: '1s', threshold, stepWeight: 10 } },
    status: { phase, failedChecks: 0, canaryWeight: 0, iterations: 0 },
  } as unknown as Canary;
}

const events = (...messages: string[]): KubeEvent[] =>
  messages.map((message, i) => ({ message, metadata: { name: `e${i}` } }) as unknown as KubeEvent);

describe('the failure reason of a Failed run', () => {
  it('names the last halting check, the weight it was at and the failed checks over the threshold', () => {
    const reason = failureReason(
      canary('Failed'),
      events(
        'New revision detected! Scaling up podinfo.test',
        'Advance podinfo.test canary weight 10',
        'Advance podinfo.test canary weight 20',
        'Advance podinfo.test canary weight 30',
        'Halt podinfo.test advancement success rate 95.00% < 99%',
        'Halt podinfo.test advancement request duration 612ms > 500ms',
        'Halt podinfo.test advancement success rate 91.20% < 99%',
        'Rolling back podinfo.test failed checks threshold reached 3',
        'Canary failed! Scaling down podinfo.test',
      ),
    );
    expect(reason).toBe('request-success-rate 91.20% < 99% at weight 30, 3/3 failed checks');
  });

  it('reads only the last run, and iterations for blue/green', () => {
    const reason = failureReason(
      canary('Failed', 2),
      events(
        'New revision detected! Scaling up podinfo.test',
        'Advance podinfo.test canary iteration 5/10',
        'Halt podinfo.test advancement success rate 10.00% < 99%',
        'Rolling back podinfo.test failed checks threshold reached 2',
        'Canary failed! Scaling down podinfo.test',
        'New revision detected! Scaling up podinfo.test',
        'Advance podinfo.test canary iteration 2/10',
        'Halt podinfo.test advancement request duration 900ms > 500ms',
        'Rolling back podinfo.test failed checks threshold reached 2',
      ),
    );
    expect(reason).toBe('request-duration 900ms > 500ms at iteration 2/10, 2/2 failed checks');
  });

  it('names a rollback that no check caused', () => {
    expect(
      failureReason(
        canary('Failed'),
        events('Advance podinfo.test canary weight 20', 'Rolling back podinfo.test aborted manually'),
      ),
    ).toBe('aborted manually at weight 20');
  });

  it('does not take the weight of the run before when this one failed before advancing', () => {
    expect(
      failureReason(
        canary('Failed'),
        events(
          'Advance podinfo.test canary weight 40',
          'Promotion completed! Scaling down podinfo.test',
          'Halt podinfo.test advancement waiting for approval approval',
          'Rolling back podinfo.test aborted manually',
          'Canary failed! Scaling down podinfo.test',
        ),
      ),
    ).toBe('aborted manually');
  });

  it('says nothing about a run that did not fail', () => {
    expect(failureReason(canary('Succeeded'), events('Rolling back podinfo.test aborted manually'))).toBeUndefined();
  });
});
