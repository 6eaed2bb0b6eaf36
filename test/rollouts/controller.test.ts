import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Deployment, HTTPRoute, Service } from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { canary, deployment, FakeMetrics, fakeRuntime, image, NS, replicas, status, weights } from './fixtures.js';

const INTERVAL = 10_000;

describe('canary controller over the store', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let metrics: FakeMetrics;
  let runtime: ReturnType<typeof fakeRuntime>;
  const controllers: CanaryController[] = [];

  const start = () => {
    const c = startCanaryController({ store, metrics, clock });
    controllers.push(c);
    return c;
  };
  const tick = () => clock.advance(INTERVAL);
  const messagesOf = (c: CanaryController) => c.events.messages(NS, 'podinfo');

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    metrics = new FakeMetrics();
    runtime = fakeRuntime(store);
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
    await store.apply(canary());
  });

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.close();
    runtime.stop();
  });

  /** start, initialise, and change the template: the next tick sees a new revision */
  async function initialised(): Promise<CanaryController> {
    const c = start();
    await clock.runDue(); // immediate tick: primary created
    await tick(); // Initialized
    expect(status(store)?.phase).toBe('Initialized');
    await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
    return c;
  }

  it('says once per generation, as a Warning event, which fields of the Canary Weir does not act on', async () => {
    await store.apply(
      canary({}, { service: { port: 9898, retries: { attempts: 3 }, corsPolicy: { allowOrigins: [{ exact: 'x' }] } } }),
    );
    const c = start();
    await clock.runDue();
    await tick();
    await tick();
    const warnings = () =>
      c.events
        .recent(NS, 'podinfo')
        .filter((e) => e.type === 'Warning')
        .map((e) => e.message);
    expect(warnings()).toEqual([
      'spec.service.retries: is accepted for Flagger compatibility but is not used on the Gateway API (Flagger reads it for Istio or App Mesh only)',
      'spec.service.corsPolicy.allowOrigins: is accepted for Flagger compatibility but the Gateway API CORS filter takes plain origins: use corsPolicy.allowOrigin',
    ]);
    // a new generation without them: nothing more
    await store.apply(canary());
    await tick();
    expect(warnings()).toHaveLength(2);
  });

  it('initializes: primary, services, HTTPRoute 100/0 on the gatewayRef, target scaled to zero', async () => {
    const c = start();
    await clock.runDue();
    expect(status(store)?.phase).toBe('Initializing');
    const primary = store.get<Deployment>('Deployment', NS, 'podinfo-primary')!;
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.metadata.labels).toEqual({ app: 'podinfo-primary' });
    expect(primary.metadata.labels?.app).toBe('podinfo-primary');
    expect(primary.spec.replicas).toBe(2);
    expect(replicas(store, 'podinfo')).toBe(2);

    await tick();
    expect(status(store)).toMatchObject({ phase: 'Initialized', canaryWeight: 0, failedChecks: 0 });
    expect(status(store)?.lastAppliedSpec).toBe(status(store)?.lastPromotedSpec);
    expect(status(store)?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'True' });
    expect(replicas(store, 'podinfo')).toBe(0);
    expect(weights(store)).toEqual([100, 0]);
    const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
    expect(route.spec.parentRefs).toEqual([{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }]);
    expect(route.spec.rules[0]?.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(route.spec.rules[0]?.backendRefs?.map((b) => [b.name, b.port])).toEqual([
      ['podinfo-primary', 9898],
      ['podinfo-canary', 9898],
    ]);
    const svc = (n: string) => store.get<Service>('Service', NS, n)?.spec.selector;
    expect(svc('podinfo')).toEqual({ app: 'podinfo-primary' });
    expect(svc('podinfo-primary')).toEqual({ app: 'podinfo-primary' });
    expect(svc('podinfo-canary')).toEqual({ app: 'podinfo' });
    expect(messagesOf(c)).toEqual(['Initialization done! podinfo.test']);
    const ev = c.events.recent(NS, 'podinfo')[0]!;
    expect(ev).toMatchObject({
      kind: 'Event',
      type: 'Normal',
      reason: 'Synced',
      involvedObject: { kind: 'Canary', name: 'podinfo', namespace: NS },
    });
  });

  it('promotes end to end: weights 10..50 in the HTTPRoute, then primary updated, Succeeded', async () => {
    const c = await initialised();
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(replicas(store, 'podinfo')).toBe(2); // scaled up from zero to the primary's replicas
    expect(weights(store)).toEqual([100, 0]);
    expect(metrics.tracked.get('podinfo')).toBe(true);

    const seen: [string | undefined, number | undefined, [number, number] | undefined][] = [];
    for (let i = 0; i < 5; i++) {
      await tick();
      seen.push([status(store)?.phase, status(store)?.canaryWeight, weights(store)]);
    }
    expect(seen).toEqual([
      ['Progressing', 10, [90, 10]],
      ['Progressing', 20, [80, 20]],
      ['Progressing', 30, [70, 30]],
      ['Progressing', 40, [60, 40]],
      ['Progressing', 50, [50, 50]],
    ]);
    // metrics queried with each metric's window
    expect(metrics.queries.map((q) => [q.metric.name, q.windowMs]).slice(0, 2)).toEqual([
      ['request-success-rate', 60_000],
      ['request-duration', 30_000],
    ]);

    runtime.hold.add('podinfo-primary');
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Promoting', canaryWeight: 50 });
    expect(image(store, 'podinfo-primary')).toBe('podinfo:6.0.1');
    expect(store.get<Deployment>('Deployment', NS, 'podinfo-primary')?.spec.template.metadata.labels).toEqual({
      app: 'podinfo-primary',
    });
    // the primary rolls out: the tick waits
    await tick();
    expect(status(store)?.phase).toBe('Promoting');
    expect(weights(store)).toEqual([50, 50]);
    await runtime.release('podinfo-primary');
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    expect(weights(store)).toEqual([100, 0]);
    expect(replicas(store, 'podinfo')).toBe(2);
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Succeeded', canaryWeight: 0, failedChecks: 0 });
    expect(status(store)?.lastPromotedSpec).toBe(status(store)?.lastAppliedSpec);
    expect(replicas(store, 'podinfo')).toBe(0);
    expect(metrics.tracked.get('podinfo')).toBe(false);
    expect(messagesOf(c)).toEqual([
      'Initialization done! podinfo.test',
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 30',
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 50',
      'Copying podinfo.test template spec to podinfo-primary.test',
      'podinfo-primary.test not ready: waiting for rollout to finish: observed deployment generation less than desired generation',
      'Routing all traffic to primary',
      'Promotion completed! Scaling down podinfo.test',
    ]);
    // and stays put
    await tick();
    expect(status(store)?.phase).toBe('Succeeded');
  });

  it('rolls back end to end after `threshold` failed checks', async () => {
    const c = await initialised();
    await tick(); // Progressing
    await tick(); // 10
    await tick(); // 20
    expect(weights(store)).toEqual([80, 20]);
    metrics.values['request-success-rate'] = 87.5;
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 20 });
    expect(weights(store)).toEqual([80, 20]);
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Progressing', failedChecks: 2, canaryWeight: 20 });
    expect(weights(store)).toEqual([80, 20]);
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Failed', failedChecks: 0, canaryWeight: 0 });
    expect(status(store)?.conditions?.[0]).toMatchObject({
      status: 'False',
      message: 'Canary analysis failed, Deployment scaled to zero.',
    });
    expect(weights(store)).toEqual([100, 0]);
    expect(replicas(store, 'podinfo')).toBe(0);
    expect(image(store, 'podinfo-primary')).toBe('podinfo:6.0.0');
    expect(messagesOf(c).slice(-4)).toEqual([
      'Halt podinfo.test advancement success rate 87.50% < 99%',
      'Halt podinfo.test advancement success rate 87.50% < 99%',
      'Rolling back podinfo.test failed checks threshold reached 2',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(c.events.recent(NS, 'podinfo').at(-1)?.type).toBe('Warning');
    // the failed revision is not retried; a new template is
    await tick();
    expect(status(store)?.phase).toBe('Failed');
    await store.apply(deployment('podinfo', 'podinfo:6.0.2', 0));
    await tick();
    expect(status(store)?.phase).toBe('Progressing');
    expect(replicas(store, 'podinfo')).toBe(2);
  });

  it('no data counts as a failed check', async () => {
    const c = await initialised();
    await tick();
    await tick();
    metrics.values['request-success-rate'] = undefined;
    await tick();
    expect(status(store)?.failedChecks).toBe(1);
    expect(messagesOf(c).at(-1)).toBe(
      'Halt advancement no values found for mesh metric request-success-rate probably podinfo.test is not receiving traffic: no values found',
    );
  });

  it('a restarted controller resumes at the same weight, keeping the step interval', async () => {
    const first = await initialised();
    await tick(); // Progressing
    await tick(); // 10
    await tick(); // 20
    await tick(); // 30
    expect(weights(store)).toEqual([70, 30]);
    const before = messagesOf(first);
    await first.close();
    controllers.splice(controllers.indexOf(first), 1);

    await clock.advance(4_000);
    const second = start();
    await clock.runDue();
    // nothing moved at start: the step at 30 keeps its interval
    expect(weights(store)).toEqual([70, 30]);
    expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 30 });
    await clock.advance(6_000);
    expect(weights(store)).toEqual([60, 40]);
    // the first controller's events are in the store; the second added one, nothing at its start
    expect(messagesOf(second)).toEqual([...before, 'Advance podinfo.test canary weight 40']);
    await tick();
    expect(weights(store)).toEqual([50, 50]);
    await tick();
    expect(status(store)?.phase).toBe('Promoting');
    await tick();
    await tick();
    expect(status(store)?.phase).toBe('Succeeded');
  });

  it('restarts the analysis at 100/0 when the template changes mid-run', async () => {
    const c = await initialised();
    await tick();
    await tick();
    await tick();
    expect(weights(store)).toEqual([80, 20]);
    await store.apply(deployment('podinfo', 'podinfo:6.0.3', 2));
    await tick();
    expect(weights(store)).toEqual([100, 0]);
    expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0 });
    expect(messagesOf(c).at(-1)).toBe('New revision detected! Restarting analysis for podinfo.test');
  });

  it('an unready canary stalls without failed checks', async () => {
    runtime.hold.add('podinfo');
    const c = await initialised();
    await tick(); // Progressing, scaled up, but never ready
    await tick();
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 0 });
    expect(messagesOf(c).at(-1)).toBe(
      'canary deployment podinfo.test not ready: waiting for rollout to finish: observed deployment generation less than desired generation',
    );
    await runtime.release('podinfo');
    await tick();
    expect(weights(store)).toEqual([90, 10]);
  });

  it('follows the interval from the spec (1 s allowed) and stops on delete', async () => {
    await store.apply(canary({ interval: '1s' }));
    const c = start();
    await clock.runDue();
    await clock.advance(1_000);
    expect(status(store)?.phase).toBe('Initialized');
    expect(c.jobs()).toEqual(['test/podinfo']);
    await store.delete('Canary', NS, 'podinfo');
    expect(c.jobs()).toEqual([]);
    await clock.advance(5_000);
    expect(clock.pending()).toBe(0);
  });
});

describe('controller metrics (flagger_*)', () => {
  it('records status, weights and a success', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryStore(() => clock.now());
    const runtime = fakeRuntime(store);
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
    await store.apply(canary({ stepWeight: 50, maxWeight: 50 }));
    const c = startCanaryController({ store, metrics: new FakeMetrics(), clock });
    try {
      await clock.runDue();
      await clock.advance(INTERVAL);
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      await clock.advance(INTERVAL); // Progressing
      await clock.advance(INTERVAL); // 50
      let text = await c.metrics.registry.metrics();
      expect(text).toContain('flagger_canary_status{name="podinfo",namespace="test"} 0');
      expect(text).toContain('flagger_canary_weight{workload="podinfo",namespace="test"} 50');
      expect(text).toContain('flagger_canary_total{namespace="test"} 1');
      for (let i = 0; i < 4; i++) await clock.advance(INTERVAL);
      expect(status(store)?.phase).toBe('Succeeded');
      text = await c.metrics.registry.metrics();
      expect(text).toContain(
        'flagger_canary_successes_total{name="podinfo",namespace="test",deployment_strategy="canary",analysis_status="completed"} 1',
      );
      expect(text).toContain(
        'flagger_canary_metric_analysis{name="podinfo",namespace="test",metric="request-duration"} 0.025',
      );
      expect(text).toContain('flagger_canary_status{name="podinfo",namespace="test"} 1');
    } finally {
      await c.close();
      runtime.stop();
    }
  });
});
