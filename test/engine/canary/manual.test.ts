import { describe, expect, it } from 'vitest';
import {
  ACTION_ANNOTATION,
  handledManualAction,
  withManualRequest,
  withSuspend,
  type ManualAction,
} from '../../../engine/canary/index.js';
import type { CanaryCondition } from '../../../engine/resources/index.js';
import { makeCanary, World } from './harness.js';

function initialized(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): World {
  const w = new World(makeCanary(analysis, spec));
  w.initialize();
  w.events = [];
  w.alerts = [];
  return w;
}

/** a new revision, ticked up to `weight` */
function progressingAt(weight: number, analysis: Record<string, unknown> = {}): World {
  const w = initialized(analysis);
  w.newRevision();
  w.tick(); // Progressing, weight 0
  while ((w.routes?.canary ?? 0) < weight) w.tick();
  w.events = [];
  return w;
}

/** what `weir promote|abort|retry` writes: the annotation, keeping the status as the store does */
function request(w: World, action: ManualAction, at = w.now): void {
  const status = w.canary.status;
  w.canary = { ...withManualRequest(w.canary, action, new Date(at)), status };
}

const analysisCondition = (w: World): CanaryCondition | undefined =>
  w.status.conditions?.find((c) => c.type === 'Analysis');

describe('manual control: promote', () => {
  it('mid-analysis skips the remaining steps: Promoting on the next tick, then Finalising, Succeeded', () => {
    const w = progressingAt(20);
    request(w, 'promote');
    const seen: [string | undefined, number][] = [];
    for (let i = 0; i < 3; i++) {
      w.tick();
      seen.push([w.status.phase, w.routes!.canary]);
    }
    expect(seen).toEqual([
      ['Promoting', 20],
      ['Finalising', 0],
      ['Succeeded', 0],
    ]);
    expect(w.primaryHash).toBe('rev2');
    expect(w.status.lastPromotedSpec).toBe('rev2');
    expect(w.messages()).toEqual([
      'Promoting podinfo.test manually, skipping the remaining analysis',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    expect(handledManualAction(w.canary)).toMatchObject({
      action: 'promote',
      result: 'Applied',
      message: 'promoted at weight 20',
      request: w.canary.metadata.annotations?.[ACTION_ANNOTATION],
    });
    // the annotation stays; the request is not handled twice (also not by a restarted controller)
    w.events = [];
    w.tick();
    w.tick();
    expect(w.status.phase).toBe('Succeeded');
    expect(w.events).toEqual([]);
  });

  it('in WaitingPromotion passes the closed confirm-promotion gate', () => {
    const w = initialized({
      webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://lt/gate/check' }],
    });
    w.hooks['confirm-promotion'] = [{ name: 'gate', ok: false, message: 'Forbidden' }];
    w.newRevision();
    w.runUntil('WaitingPromotion');
    expect(w.routes!.canary).toBe(50);
    w.tick();
    expect(w.status.phase).toBe('WaitingPromotion');
    request(w, 'promote');
    w.tick();
    expect(w.status.phase).toBe('Promoting');
    expect(w.runUntil('Succeeded')).toEqual([0, 0]);
  });

  it('in Waiting (closed confirm-rollout gate) promotes the waiting revision without analysis', () => {
    const w = initialized({ webhooks: [{ name: 'gate', type: 'confirm-rollout', url: 'http://lt/gate/check' }] });
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: false, message: 'Forbidden' }];
    w.newRevision();
    w.tick();
    expect(w.status.phase).toBe('Waiting');
    request(w, 'promote');
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Succeeded', lastAppliedSpec: 'rev2', lastPromotedSpec: 'rev2' });
    expect(w.primaryHash).toBe('rev2');
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    // nothing more to do: rev2 is the promoted revision
    w.events = [];
    w.tick();
    expect(w.events).toEqual([]);
    expect(w.status.phase).toBe('Succeeded');
  });

  it('is ignored (and recorded as such) when nothing runs', () => {
    const w = initialized();
    request(w, 'promote');
    w.tick();
    expect(w.status.phase).toBe('Initialized');
    expect(w.messages()).toEqual(['Manual promote of podinfo.test ignored: nothing to promote in phase Initialized']);
    expect(handledManualAction(w.canary)).toMatchObject({ result: 'Ignored' });
    // a later revision runs its analysis normally: the old request is not applied to it
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
  });
});

describe('manual control: abort', () => {
  it('rolls back now: Failed, all traffic to the primary, canary scaled to zero, why in the status', () => {
    const w = progressingAt(30);
    request(w, 'abort');
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Failed', canaryWeight: 0, lastAppliedSpec: 'rev2' });
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.targetReplicas).toBe(0);
    expect(w.primaryHash).toBe('rev1');
    expect(w.messages()).toEqual([
      'Rolling back podinfo.test aborted manually',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(w.lastActions.at(-1)).toEqual({ type: 'runHooks', hookType: 'post-rollout', phase: 'Failed' });
    expect(analysisCondition(w)).toMatchObject({ status: 'False', reason: 'ManualAbort' });
    expect(w.alerts.at(-1)).toEqual({ severity: 'warn', message: 'Canary aborted manually, rolling back.' });
    // the aborted revision is not retried by itself
    w.events = [];
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(w.events).toEqual([]);
  });

  it('is too late once Promoting', () => {
    const w = progressingAt(50);
    w.primaryReady = { ready: true };
    w.tick(); // Promoting
    expect(w.status.phase).toBe('Promoting');
    request(w, 'abort');
    w.events = [];
    w.tick();
    expect(w.messages()[0]).toBe(
      'Manual abort of podinfo.test ignored: the promotion has already started (phase Promoting)',
    );
    expect(w.status.phase).toBe('Finalising');
  });
});

describe('manual control: retry', () => {
  it('runs a failed revision again without a template change, to Succeeded', () => {
    const w = progressingAt(20);
    w.metrics = () => [
      { name: 'request-success-rate', value: 42.5, provider: 'mesh' },
      { name: 'request-duration', value: 20, provider: 'mesh' },
    ];
    w.runUntil('Failed');
    // why: metric, value, threshold; kept through Failed
    expect(analysisCondition(w)).toMatchObject({
      status: 'False',
      reason: 'MetricCheckFailed',
      message: 'metric request-success-rate: value 42.50 below the minimum 99 (failed checks 3/3)',
    });
    w.events = [];
    w.tick();
    expect(w.status.phase).toBe('Failed');

    w.metrics = () => [
      { name: 'request-success-rate', value: 100, provider: 'mesh' },
      { name: 'request-duration', value: 20, provider: 'mesh' },
    ];
    request(w, 'retry');
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0, lastAppliedSpec: 'rev2' });
    expect(w.targetReplicas).toBe(2);
    expect(w.messages()).toEqual([
      'Retrying podinfo.test revision rev2 manually',
      'New revision detected! Scaling up podinfo.test',
    ]);
    // a new run forgets the last run's failure
    expect(analysisCondition(w)).toBeUndefined();
    expect(w.runUntil('Succeeded')).toEqual([10, 20, 30, 40, 50, 50, 0, 0]);
    expect(w.primaryHash).toBe('rev2');
  });

  it('is ignored unless Failed', () => {
    const w = progressingAt(10);
    request(w, 'retry');
    w.tick();
    expect(w.messages()[0]).toBe(
      'Manual retry of podinfo.test ignored: only a Failed canary can be retried (phase Progressing)',
    );
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 20 });
  });

  it('a second request of the same action is a new request', () => {
    const w = progressingAt(10);
    request(w, 'abort');
    const first = w.canary.metadata.annotations?.[ACTION_ANNOTATION];
    w.tick();
    request(w, 'retry');
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    request(w, 'abort', Date.parse(first!.split('@')[1]!));
    w.tick();
    expect(w.status.phase).toBe('Failed');
    // the same action at the same clock reading as the handled one still makes a distinct request
    const handled = handledManualAction(w.canary)!.request;
    request(w, 'abort', Date.parse(handled.split('@')[1]!));
    expect(w.canary.metadata.annotations?.[ACTION_ANNOTATION]).not.toBe(handled);
  });
});

describe('manual control: pause and resume (spec.suspend)', () => {
  it('holds the weight while paused and continues from it when resumed', () => {
    const w = progressingAt(20);
    w.canary = { ...withSuspend(w.canary, true), status: w.canary.status };
    for (let i = 0; i < 3; i++) w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 20 });
    expect(w.routes!.canary).toBe(20);
    expect(new Set(w.messages())).toEqual(new Set(['skipping canary run as object is suspended']));
    w.canary = { ...withSuspend(w.canary, false), status: w.canary.status };
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 30 });
  });
});

describe('failed-check conditions and alerts', () => {
  it('a failed rollout hook names the hook and its answer; rollback hook in Waiting rejects the revision', () => {
    const w = initialized({
      webhooks: [
        { name: 'gate', type: 'confirm-rollout', url: 'http://lt/gate/check' },
        { name: 'reject', type: 'rollback', url: 'http://lt/rollback/check' },
      ],
    });
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: false, message: 'Forbidden' }];
    w.hooks.rollback = [{ name: 'reject', ok: false, message: 'Forbidden' }];
    w.newRevision();
    w.tick();
    expect(w.status.phase).toBe('Waiting');
    expect(w.alerts).toEqual([{ severity: 'warn', message: 'Canary is waiting for approval.' }]);
    w.tick();
    expect(w.status.phase).toBe('Waiting');
    w.hooks.rollback = [{ name: 'reject', ok: true }];
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Failed', lastAppliedSpec: 'rev2' });
    expect(analysisCondition(w)).toMatchObject({
      reason: 'RollbackWebhook',
      message: 'rollback hook reject signalled a rollback',
    });
    expect(w.messages()).toContain('Rolling back podinfo.test manual webhook invoked');
  });

  it('records the hook failure, and alerts at each milestone with its severity', () => {
    const w = new World(
      makeCanary({ threshold: 1, webhooks: [{ name: 'smoke', type: 'rollout', url: 'http://lt/' }] }),
    );
    w.hooks.rollout = [{ name: 'smoke', ok: true }];
    w.initialize();
    w.newRevision();
    w.tick();
    w.tick(); // 10
    w.hooks.rollout = [{ name: 'smoke', ok: false, message: 'exit status 1' }];
    w.tick();
    expect(analysisCondition(w)).toMatchObject({
      reason: 'WebhookCheckFailed',
      message: 'rollout hook smoke failed: exit status 1 (failed checks 1/1)',
    });
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(analysisCondition(w)?.reason).toBe('WebhookCheckFailed');
    expect(w.alerts).toEqual([
      { severity: 'info', message: 'New Deployment detected, initialization completed.', metadata: true },
      { severity: 'info', message: 'New revision detected, progressing canary analysis.', metadata: true },
      { severity: 'error', message: 'Failed checks threshold reached 1' },
    ]);
    w.hooks.rollout = [{ name: 'smoke', ok: true }];
    w.newRevision('rev3');
    w.alerts = [];
    w.runUntil('Succeeded');
    expect(w.alerts.map((a) => a.severity + ': ' + a.message)).toEqual([
      'info: New revision detected, progressing canary analysis.',
      'info: Canary analysis completed successfully, promotion finished.',
    ]);
  });
});
