import { describe, expect, it } from 'vitest';
import type { PodFailure } from '../../../engine/canary/index.js';
import { makeCanary, World } from './harness.js';

// Each failure path Flagger users ask to be told about (#1533, #1663, #1816) shows as a status condition
// (`Analysis`, naming the cause), an event and an alert.

function initialized(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): World {
  const w = new World(makeCanary({ alerts: [], ...analysis }, spec));
  w.initialize();
  w.events = [];
  w.alerts = [];
  return w;
}

const hook = (name: string, type: string, muteAlert = false) => ({
  name,
  type,
  url: 'http://loadtester.test/gate/check',
  ...(muteAlert ? { muteAlert } : {}),
});
const analysisCondition = (w: World) => w.status.conditions?.find((c) => c.type === 'Analysis');

describe('failure paths: condition, event, alert', () => {
  it('a failing pre-rollout hook', () => {
    const w = initialized({ webhooks: [hook('db-migrate', 'pre-rollout')] });
    w.newRevision();
    w.tick(); // Progressing
    w.hooks['pre-rollout'] = [{ name: 'db-migrate', ok: false, message: 'HTTP 500: migration 42 failed' }];
    w.tick();
    expect(analysisCondition(w)).toMatchObject({
      status: 'False',
      reason: 'PreRolloutCheckFailed',
      message: 'pre-rollout hook db-migrate failed: HTTP 500: migration 42 failed (failed checks 1/3)',
    });
    expect(w.events.filter((e) => e.type === 'Warning').map((e) => e.message)).toEqual([
      'Halt podinfo.test advancement pre-rollout check db-migrate failed HTTP 500: migration 42 failed',
    ]);
    expect(w.alerts.at(-1)).toEqual({
      severity: 'error',
      message: 'Pre-rollout check db-migrate failed: HTTP 500: migration 42 failed',
    });
  });

  it('a muted pre-rollout hook still sets the condition and the event, without alert', () => {
    const w = initialized({ webhooks: [hook('db-migrate', 'pre-rollout', true)] });
    w.newRevision();
    w.tick();
    w.alerts = [];
    w.hooks['pre-rollout'] = [{ name: 'db-migrate', ok: false, message: 'boom' }];
    w.tick();
    expect(analysisCondition(w)?.reason).toBe('PreRolloutCheckFailed');
    expect(w.alerts).toEqual([]);
  });

  it('a confirm-rollout hook that does not approve: Waiting, the hook and its answer in the condition', () => {
    const w = initialized({ webhooks: [hook('gate', 'confirm-rollout')] });
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: false, message: 'HTTP 403: Forbidden' }];
    w.newRevision();
    w.tick();
    expect(w.status.phase).toBe('Waiting');
    expect(analysisCondition(w)).toMatchObject({
      reason: 'ConfirmRolloutCheckFailed',
      message: 'confirm-rollout hook gate did not approve: HTTP 403: Forbidden',
    });
    expect(w.messages()).toEqual(['Halt podinfo.test advancement waiting for approval gate']);
    expect(w.alerts).toEqual([{ severity: 'warn', message: 'Canary is waiting for approval.' }]);
    // approved: the run starts and the condition is gone
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: true }];
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    expect(analysisCondition(w)).toBeUndefined();
  });

  it('confirm-promotion and confirm-traffic-increase: the condition holds while the gate is closed', () => {
    const w = initialized({ stepWeight: 25, maxWeight: 50, webhooks: [hook('promo', 'confirm-promotion')] });
    w.hooks['confirm-promotion'] = [{ name: 'promo', ok: false, message: 'HTTP 403' }];
    w.newRevision();
    w.runUntil('WaitingPromotion');
    expect(analysisCondition(w)).toMatchObject({
      reason: 'ConfirmPromotionCheckFailed',
      message: 'confirm-promotion hook promo did not approve: HTTP 403',
    });
    w.hooks['confirm-promotion'] = [{ name: 'promo', ok: true }];
    w.tick();
    expect(w.status.phase).toBe('Promoting');
    expect(analysisCondition(w)).toBeUndefined();

    const t = initialized({ webhooks: [hook('traffic', 'confirm-traffic-increase')] });
    t.hooks['confirm-traffic-increase'] = [{ name: 'traffic', ok: false }];
    t.newRevision();
    t.tick();
    t.tick();
    expect(analysisCondition(t)).toMatchObject({
      reason: 'ConfirmTrafficIncreaseCheckFailed',
      message: 'confirm-traffic-increase hook traffic did not approve',
    });
    expect(t.alerts.at(-1)).toEqual({ severity: 'warn', message: 'Canary traffic increase is waiting for approval.' });
  });

  it('a canary pod in CrashLoopBackOff: its reason and last exit message, alerted once, then the deadline', () => {
    const w = initialized({}, { progressDeadlineSeconds: 60 });
    w.newRevision();
    w.tick(); // Progressing
    w.alerts = [];
    const crash = (delay: number): PodFailure => ({
      pod: 'podinfo-abc-1',
      reason: 'CrashLoopBackOff',
      message: `back-off ${delay} ms restarting: exited with code 3; last exit code 3 (Error): config missing: DB_URL`,
    });
    const notReady = (pod: PodFailure) => ({
      ready: false as const,
      retriable: true,
      message: `canary deployment podinfo.test not ready: waiting for rollout to finish: 0 of 2 updated replicas are available; pod ${pod.pod} ${pod.reason}: ${pod.message}`,
      pod,
    });
    w.canaryReady = notReady(crash(1000));
    w.tick();
    expect(analysisCondition(w)).toMatchObject({
      reason: 'CrashLoopBackOff',
      message:
        'pod podinfo-abc-1 CrashLoopBackOff: back-off 1000 ms restarting: exited with code 3; last exit code 3 (Error): config missing: DB_URL',
    });
    expect(w.messages().at(-1)).toContain('pod podinfo-abc-1 CrashLoopBackOff');
    expect(w.alerts).toEqual([
      {
        severity: 'error',
        message:
          'Canary pod podinfo-abc-1 cannot start: CrashLoopBackOff: back-off 1000 ms restarting: exited with code 3; last exit code 3 (Error): config missing: DB_URL',
      },
    ]);
    // the same pod still crashing: the condition follows, no second alert
    w.canaryReady = notReady(crash(2000));
    w.tick();
    expect(analysisCondition(w)?.message).toContain('back-off 2000 ms');
    expect(w.alerts).toHaveLength(1);
    expect(w.status.failedChecks).toBe(0);
    // another reason is news
    w.canaryReady = notReady({
      pod: 'podinfo-abc-1',
      reason: 'CreateContainerConfigError',
      message: 'configmap "cfg" not found',
    });
    w.tick();
    expect(w.alerts.at(-1)?.message).toBe(
      'Canary pod podinfo-abc-1 cannot start: CreateContainerConfigError: configmap "cfg" not found',
    );
    // past the progress deadline: rolled back, the reason kept in the condition, event and alert
    w.tick();
    w.tick();
    w.tick();
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(analysisCondition(w)).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringContaining(
        'pod podinfo-abc-1 CreateContainerConfigError: configmap "cfg" not found',
      ) as unknown,
    });
    expect(w.messages()).toContain(
      'Rolling back podinfo.test progress deadline exceeded canary deployment podinfo.test not ready: waiting for rollout to finish: 0 of 2 updated replicas are available; pod podinfo-abc-1 CreateContainerConfigError: configmap "cfg" not found',
    );
    expect(
      w.alerts.some((a) => a.severity === 'error' && a.message.startsWith('Progress deadline exceeded canary')),
    ).toBe(true);
  });
});
