import { describe, expect, it } from 'vitest';
import { advance } from '../../../engine/canary/index.js';
import { healthy, makeCanary, World } from './harness.js';

function initialized(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): World {
  const w = new World(makeCanary(analysis, spec));
  w.initialize();
  w.events = [];
  return w;
}

describe('scheduler: initialization', () => {
  it('creates the primary, then routes 100/0, scales the target to zero and is Initialized', () => {
    const w = new World(makeCanary());
    w.tick();
    expect(w.status.phase).toBe('Initializing');
    expect(w.lastActions.map((a) => a.type)).toEqual(['reconcileServices', 'createPrimary']);
    expect(w.status.conditions?.[0]).toMatchObject({
      type: 'Promoted',
      status: 'Unknown',
      reason: 'Initializing',
      message: 'New Deployment detected, starting initialization.',
    });
    expect(w.targetReplicas).toBe(2);

    w.tick();
    expect(w.lastActions).toEqual([
      { type: 'reconcileServices' },
      { type: 'reconcileApexService' },
      { type: 'scaleTarget', replicas: 0 },
      { type: 'reconcileRoute' },
    ]);
    expect(w.status).toMatchObject({
      phase: 'Initialized',
      canaryWeight: 0,
      failedChecks: 0,
      lastAppliedSpec: 'rev1',
      lastPromotedSpec: 'rev1',
    });
    expect(w.status.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Initialized',
      message: 'Deployment initialization completed.',
    });
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.targetReplicas).toBe(0);
    expect(w.messages()).toEqual(['Initialization done! podinfo.test']);

    // nothing changes afterwards
    const events = w.tick();
    expect(events).toEqual([]);
    expect(w.status.phase).toBe('Initialized');
  });

  it('waits for the primary to be ready before Initialized', () => {
    const w = new World(makeCanary());
    w.tick();
    w.primaryReady = { ready: false, retriable: true, message: 'podinfo-primary.test not ready: waiting' };
    expect(w.tick()).toEqual([
      { type: 'Warning', reason: 'Synced', message: 'podinfo-primary.test not ready: waiting' },
    ]);
    expect(w.status.phase).toBe('Initializing');
    expect(w.targetReplicas).toBe(2);
    w.primaryReady = { ready: true };
    w.tick();
    expect(w.status.phase).toBe('Initialized');
  });

  it('does nothing while suspended', () => {
    const w = new World(makeCanary({}, { suspend: true }));
    expect(w.tick()).toEqual([
      { type: 'Normal', reason: 'Synced', message: 'skipping canary run as object is suspended' },
    ]);
    expect(w.lastActions).toEqual([]);
  });

  it('reports a missing target', () => {
    const w = new World(makeCanary());
    const input = w.input();
    input.target = {
      exists: false,
      replicas: 0,
      readiness: { ready: true },
      error: 'deployments.apps "podinfo" not found',
    };
    const r = advance(input);
    expect(r.kind).toBe('done');
    if (r.kind === 'done') {
      expect(r.events[0]?.message).toBe(
        'deployment podinfo.test get query error: deployments.apps "podinfo" not found',
      );
      expect(r.actions).toEqual([]);
    }
  });
});

describe('scheduler: canary strategy', () => {
  it('goes 10..50, then Promoting, Finalising, Succeeded (tick by tick)', () => {
    const w = initialized();
    w.newRevision();
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0, lastAppliedSpec: 'rev2' });
    expect(w.targetReplicas).toBe(2); // scaled up from zero to the primary's replicas
    expect(w.status.conditions?.[0]).toMatchObject({ message: 'New revision detected, progressing canary analysis.' });

    const seen: [string | undefined, number, number][] = [];
    for (let i = 0; i < 8; i++) {
      w.tick();
      seen.push([w.status.phase, w.status.canaryWeight, w.routes!.canary]);
    }
    expect(seen).toEqual([
      ['Progressing', 10, 10],
      ['Progressing', 20, 20],
      ['Progressing', 30, 30],
      ['Progressing', 40, 40],
      ['Progressing', 50, 50],
      ['Promoting', 50, 50],
      ['Finalising', 0, 0],
      ['Succeeded', 0, 0],
    ]);
    expect(w.primaryHash).toBe('rev2');
    expect(w.targetReplicas).toBe(0);
    expect(w.status.lastPromotedSpec).toBe('rev2');
    expect(w.status.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
      message: 'Canary analysis completed successfully, promotion finished.',
    });
    expect(w.messages()).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 50',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    // metrics are not asked on the first analysis tick (weight 0) nor once Promoting
    expect(w.metricQueries).toBe(5);
  });

  it('rolls back after `threshold` failed checks at constant weight', () => {
    const w = initialized();
    w.newRevision();
    w.tick(); // Progressing
    w.tick(); // 10
    w.tick(); // 20
    w.metrics = () => [
      { name: 'request-success-rate', value: 88, provider: 'mesh' },
      { name: 'request-duration', value: 20, provider: 'mesh' },
    ];
    w.events = [];
    const failed: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      w.tick();
      failed.push([w.status.failedChecks, w.routes!.canary]);
    }
    expect(failed).toEqual([
      [1, 20],
      [2, 20],
      [3, 20],
    ]);
    expect(w.status.phase).toBe('Progressing');
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Failed', canaryWeight: 0, failedChecks: 0, lastAppliedSpec: 'rev2' });
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.targetReplicas).toBe(0);
    expect(w.primaryHash).toBe('rev1');
    expect(w.status.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'Canary analysis failed, Deployment scaled to zero.',
    });
    expect(w.messages()).toEqual([
      'Halt podinfo.test advancement success rate 88.00% < 99%',
      'Halt podinfo.test advancement success rate 88.00% < 99%',
      'Halt podinfo.test advancement success rate 88.00% < 99%',
      'Rolling back podinfo.test failed checks threshold reached 3',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(w.events.filter((e) => e.type === 'Warning')).toHaveLength(5);
    expect(w.lastActions.at(-1)).toEqual({ type: 'runHooks', hookType: 'post-rollout', phase: 'Failed' });

    // the failed revision is not retried; a new one is
    w.events = [];
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(w.events).toEqual([]);
    w.newRevision('rev3');
    w.tick();
    expect(w.status.phase).toBe('Progressing');
  });

  it('counts no data as a failed check, with Flagger message', () => {
    const w = initialized({ threshold: 2 });
    w.newRevision();
    w.tick();
    w.tick(); // 10
    w.metrics = () => [
      { name: 'request-success-rate', provider: 'mesh' },
      { name: 'request-duration', provider: 'mesh' },
    ];
    w.events = [];
    w.tick();
    expect(w.status.failedChecks).toBe(1);
    expect(w.messages()).toEqual([
      'Halt advancement no values found for mesh metric request-success-rate probably podinfo.test is not receiving traffic: no values found',
    ]);
    w.tick();
    w.tick();
    expect(w.status.phase).toBe('Failed');
  });

  it('reports the duration breach with Go durations', () => {
    const w = initialized();
    w.newRevision();
    w.tick();
    w.tick();
    w.metrics = () => [healthy[0]!, { name: 'request-duration', value: 1500.7, provider: 'mesh' }];
    w.events = [];
    w.tick();
    expect(w.messages()).toEqual(['Halt podinfo.test advancement request duration 1.5s > 500ms']);
  });

  it('walks a stepWeights ladder', () => {
    const a = initialized({ stepWeight: undefined, maxWeight: undefined, stepWeights: [1, 2, 10, 80] });
    a.newRevision();
    a.tick();
    expect(a.runUntil('Promoting')).toEqual([1, 2, 10, 80, 80]);
    const b = initialized({ stepWeight: undefined, maxWeight: undefined, stepWeights: [1, 2, 10, 200] });
    b.newRevision();
    b.tick();
    expect(b.runUntil('Promoting')).toEqual([1, 2, 10, 100, 100]);
  });

  it('never overshoots maxWeight (Weir: stepWeight 20 / max 50 goes 20, 40, 50)', () => {
    const w = initialized({ stepWeight: 20, maxWeight: 50 });
    w.newRevision();
    w.tick();
    expect(w.runUntil('Promoting')).toEqual([20, 40, 50, 50]);
  });

  it('restarts at 100/0 on a new revision mid-analysis', () => {
    const w = initialized();
    w.newRevision();
    w.tick();
    w.tick();
    w.tick();
    w.metrics = () => [{ name: 'request-success-rate', value: 50 }, healthy[1]!];
    w.tick(); // a failed check at 20
    expect(w.status).toMatchObject({ canaryWeight: 20, failedChecks: 1 });
    w.newRevision('rev3');
    w.events = [];
    w.tick();
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0, lastAppliedSpec: 'rev3' });
    expect(w.messages()).toEqual(['New revision detected! Restarting analysis for podinfo.test']);
    w.metrics = () => healthy;
    w.tick();
    expect(w.routes).toEqual({ primary: 90, canary: 10 });
    expect(w.messages().at(-2)).toBe('Starting canary analysis for podinfo.test');
  });

  it('stalls without a failed check while the canary is not ready, and rolls back at the progress deadline', () => {
    const w = initialized({}, { progressDeadlineSeconds: 60 });
    w.newRevision();
    w.tick(); // Progressing at t0
    w.canaryReady = { ready: false, retriable: true, message: 'canary deployment podinfo.test not ready: waiting' };
    w.events = [];
    for (let i = 0; i < 5; i++) w.tick(); // 10..50 s after
    expect(w.status).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 0 });
    expect(new Set(w.messages())).toEqual(new Set(['canary deployment podinfo.test not ready: waiting']));
    w.tick(); // 60 s: still within
    w.tick(); // 70 s: past the deadline
    expect(w.status.phase).toBe('Failed');
    expect(w.messages()).toContain(
      'Rolling back podinfo.test progress deadline exceeded canary deployment podinfo.test not ready: waiting',
    );
  });

  it('rolls back at once when the canary Deployment exceeded its progress deadline', () => {
    const w = initialized();
    w.newRevision();
    w.tick();
    w.canaryReady = { ready: false, retriable: false, message: 'deployment "podinfo" exceeded its progress deadline' };
    w.tick();
    expect(w.status.phase).toBe('Failed');
  });

  it('shifts back to the primary by stepWeightPromotion (Flagger AnalysisPhases)', () => {
    const w = initialized({ stepWeight: 100, maxWeight: 100, stepWeightPromotion: 50, metrics: [] });
    w.newRevision();
    const seen: [string | undefined, number][] = [];
    for (let i = 0; i < 6; i++) {
      w.tick();
      seen.push([w.status.phase, w.status.canaryWeight]);
    }
    expect(seen).toEqual([
      ['Progressing', 0],
      ['Progressing', 100],
      ['Promoting', 100],
      ['Promoting', 50],
      ['Finalising', 0],
      ['Succeeded', 0],
    ]);
    expect(w.messages()).toContain('Advance podinfo.test primary weight 50');
    expect(w.messages()).toContain('Advance podinfo.test primary weight 100');
  });

  it('fails the promotion towards the canary when the primary breaks while Promoting', () => {
    const w = initialized();
    w.newRevision();
    w.runUntil('Promoting');
    w.primaryReady = {
      ready: false,
      retriable: false,
      message: 'deployment "podinfo-primary" exceeded its progress deadline',
    };
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Failed', canaryWeight: 100 });
    expect(w.routes).toEqual({ primary: 0, canary: 100 });
    expect(w.targetReplicas).toBe(2);
  });

  it('promotes at once with skipAnalysis', () => {
    const w = initialized({}, { skipAnalysis: true });
    w.newRevision();
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    w.tick();
    expect(w.status.phase).toBe('Succeeded');
    expect(w.primaryHash).toBe('rev2');
    expect(w.targetReplicas).toBe(0);
    expect(w.messages().at(-1)).toBe('Promotion completed! Canary analysis was skipped for podinfo.test');
  });
});

describe('scheduler: gates and hooks', () => {
  const hook = (name: string, type: string) => ({ name, type, url: 'http://loadtester.test/gate/check' });

  it('confirm-rollout closed -> Waiting, no scale-up; open -> Progressing', () => {
    const w = initialized({ webhooks: [hook('gate', 'confirm-rollout')] });
    w.newRevision();
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: false, message: 'Forbidden' }];
    w.tick();
    expect(w.status.phase).toBe('Waiting');
    expect(w.targetReplicas).toBe(0);
    expect(w.messages()).toEqual(['Halt podinfo.test advancement waiting for approval gate']);
    w.tick();
    expect(w.messages()).toHaveLength(1);
    w.hooks['confirm-rollout'] = [{ name: 'gate', ok: true }];
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    expect(w.messages().slice(1)).toEqual([
      'Confirm-rollout check gate passed',
      'New revision detected! Scaling up podinfo.test',
    ]);
  });

  it('pre-rollout failure counts a failed check; rollout hook failure too', () => {
    const w = initialized({ webhooks: [hook('pre', 'pre-rollout'), hook('load', 'rollout')] });
    w.newRevision();
    w.tick();
    w.hooks['pre-rollout'] = [{ name: 'pre', ok: false, message: 'boom' }];
    w.tick();
    expect(w.status).toMatchObject({ failedChecks: 1, canaryWeight: 0 });
    expect(w.messages().at(-1)).toBe('Halt podinfo.test advancement pre-rollout check pre failed boom');
    w.hooks['pre-rollout'] = [{ name: 'pre', ok: true }];
    w.tick();
    expect(w.routes?.canary).toBe(10);
    w.hooks.rollout = [{ name: 'load', ok: false, message: 'hey: not found' }];
    w.tick();
    expect(w.status.failedChecks).toBe(2);
    expect(w.messages().at(-1)).toBe('Halt podinfo.test advancement external check load failed hey: not found');
  });

  it('confirm-promotion closed -> WaitingPromotion keeping the real weight; metrics still run', () => {
    const w = initialized({ webhooks: [hook('promo', 'confirm-promotion')] });
    w.hooks['confirm-promotion'] = [{ name: 'promo', ok: false }];
    w.newRevision();
    w.tick();
    for (let i = 0; i < 6; i++) w.tick();
    expect(w.status).toMatchObject({ phase: 'WaitingPromotion', canaryWeight: 50 });
    expect(w.routes?.canary).toBe(50);
    const q = w.metricQueries;
    w.tick();
    expect(w.metricQueries).toBe(q + 1);
    w.hooks['confirm-promotion'] = [{ name: 'promo', ok: true }];
    w.tick();
    expect(w.status.phase).toBe('Promoting');
  });

  it('a rollback hook answering OK rolls back now', () => {
    const w = initialized({ webhooks: [hook('abort', 'rollback')] });
    w.hooks.rollback = [{ name: 'abort', ok: false }];
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.messages().at(-1)).toBe('Advance podinfo.test canary weight 10');
    w.hooks.rollback = [{ name: 'abort', ok: true }];
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(w.messages()).toContain('Rolling back podinfo.test manual webhook invoked');
  });

  it('confirm-traffic-increase closed holds the weight without a failed check', () => {
    const w = initialized({ webhooks: [hook('traffic', 'confirm-traffic-increase')] });
    w.hooks['confirm-traffic-increase'] = [{ name: 'traffic', ok: true }];
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.routes?.canary).toBe(10);
    w.hooks['confirm-traffic-increase'] = [{ name: 'traffic', ok: false }];
    w.tick();
    w.tick();
    expect(w.routes?.canary).toBe(10);
    expect(w.status.failedChecks).toBe(0);
    expect(w.messages().at(-1)).toBe('Halt podinfo.test advancement waiting for traffic increase approval traffic');
  });
});

describe('scheduler: iterations', () => {
  it('blue/green: N iterations, then all traffic to canary, then promotion', () => {
    const w = initialized({ stepWeight: undefined, maxWeight: undefined, iterations: 2 });
    w.newRevision();
    const seen: [string | undefined, number, number][] = [];
    for (let i = 0; i < 7; i++) {
      w.tick();
      seen.push([w.status.phase, w.status.iterations, w.routes!.canary]);
    }
    expect(seen).toEqual([
      ['Progressing', 0, 0],
      ['Progressing', 1, 0],
      ['Progressing', 2, 0],
      ['Progressing', 3, 100],
      ['Promoting', 3, 100],
      ['Finalising', 0, 0],
      ['Succeeded', 0, 0],
    ]);
    expect(w.messages()).toContain('Advance podinfo.test canary iteration 2/2');
    expect(w.messages()).toContain('Routing all traffic to canary');
  });

  it('blue/green with mirroring mirrors during the iterations', () => {
    const w = initialized({ stepWeight: undefined, maxWeight: undefined, iterations: 2, mirror: true });
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.routes).toEqual({ primary: 100, canary: 0, mirrored: true });
    w.tick();
    w.tick();
    expect(w.routes).toEqual({ primary: 0, canary: 100 });
    expect(w.messages()).toContain('Stop traffic mirroring and route all traffic to canary');
  });

  it('A/B: matching traffic to the canary for 10 iterations, then promotion', () => {
    const w = initialized({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: 10,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    });
    w.newRevision();
    const seen: [string | undefined, number, number][] = [];
    for (let i = 0; i < 14; i++) {
      w.tick();
      seen.push([w.status.phase, w.status.iterations, w.routes!.canary]);
    }
    const iterating = Array.from({ length: 10 }, (_, i): [string, number, number] => ['Progressing', i + 1, 100]);
    expect(seen).toEqual([
      ['Progressing', 0, 0],
      ...iterating,
      ['Promoting', 10, 100],
      ['Finalising', 0, 0],
      ['Succeeded', 0, 0],
    ]);
  });
});
