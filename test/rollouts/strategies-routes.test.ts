import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type {
  ConfigMap,
  Deployment,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteRule,
  KubeObject,
  Secret,
} from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, replicas, status, weights } from './fixtures.js';

const INTERVAL = 10_000;

describe('controller over the store: config tracking, session affinity, mirroring', () => {
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
  const route = () => store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
  const get = <T extends KubeObject>(kind: string, name: string) => store.get<T>(kind, NS, name);

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    metrics = new FakeMetrics();
    runtime = fakeRuntime(store);
  });

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.close();
    runtime.stop();
  });

  /** start the controller over what is in the store, tick to Initialized */
  async function initialise(): Promise<CanaryController> {
    const c = start();
    await clock.runDue();
    await tick();
    expect(status(store)?.phase).toBe('Initialized');
    return c;
  }

  describe('ConfigMaps and Secrets', () => {
    const configMap = (name: string, data: Record<string, string>, annotations?: Record<string, string>) =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: NS, labels: { app: 'podinfo' }, ...(annotations ? { annotations } : {}) },
        data,
      }) as KubeObject;
    const secret = (name: string, data: Record<string, string>) =>
      ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'Opaque', data }) as KubeObject;

    /** podinfo reading `settings` by env valueFrom, `extra` by envFrom, `token` as a volume, `shared` opted out */
    function withConfigs(image: string, replicasN = 2): Deployment {
      const d = deployment('podinfo', image, replicasN);
      const c = d.spec.template.spec.containers[0]!;
      c.env = [
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
        { name: 'SHARED', valueFrom: { configMapKeyRef: { name: 'shared', key: 'x' } } },
      ];
      c.envFrom = [{ configMapRef: { name: 'extra' } }];
      d.spec.template.spec.volumes = [{ name: 'token', secret: { secretName: 'token' } }];
      return d;
    }

    beforeEach(async () => {
      await store.apply(configMap('settings', { color: 'blue' }));
      await store.apply(configMap('extra', { LEVEL: 'info' }));
      await store.apply(configMap('shared', { x: '1' }, { 'flagger.app/config-tracking': 'disabled' }));
      await store.apply(secret('token', { key: Buffer.from('s3cret').toString('base64') }));
      await store.apply(withConfigs('podinfo:6.0.0'));
      await store.apply(canary());
    });

    it('copies tracked configs to -primary, points the primary at them, and records their checksums', async () => {
      await initialise();
      const tracked = status(store)?.trackedConfigs;
      expect(Object.keys(tracked ?? {}).sort()).toEqual(['configmap/extra', 'configmap/settings', 'secret/token']);
      expect(Object.values(tracked ?? {}).every((v) => /^[0-9a-f]{16}$/.test(v))).toBe(true);

      expect(get<ConfigMap>('ConfigMap', 'settings-primary')?.data).toEqual({ color: 'blue' });
      expect(get<ConfigMap>('ConfigMap', 'extra-primary')?.data).toEqual({ LEVEL: 'info' });
      expect(get<Secret>('Secret', 'token-primary')?.data).toEqual({ key: Buffer.from('s3cret').toString('base64') });
      expect(get<ConfigMap>('ConfigMap', 'shared-primary')).toBeUndefined();

      const primary = get<Deployment>('Deployment', 'podinfo-primary')!.spec.template.spec;
      expect(primary.containers[0]?.env?.map((e) => e.valueFrom?.configMapKeyRef?.name)).toEqual([
        'settings-primary',
        'shared',
      ]);
      expect(primary.containers[0]?.envFrom?.[0]?.configMapRef?.name).toBe('extra-primary');
      expect(primary.volumes?.[0]?.secret?.secretName).toBe('token-primary');
      // the target keeps its own references
      const target = get<Deployment>('Deployment', 'podinfo')!.spec.template.spec;
      expect(target.containers[0]?.envFrom?.[0]?.configMapRef?.name).toBe('extra');
    });

    it('a change of a ConfigMap alone starts an analysis; the promotion updates the -primary copy', async () => {
      await initialise();
      const before = status(store)?.trackedConfigs?.['configmap/settings'];
      // nothing changes while the configs stay the same
      await tick();
      expect(status(store)?.phase).toBe('Initialized');

      await store.apply(configMap('settings', { color: 'green' }));
      await tick();
      expect(status(store)?.phase).toBe('Progressing');
      expect(replicas(store, 'podinfo')).toBe(2);
      expect(status(store)?.trackedConfigs?.['configmap/settings']).not.toBe(before);
      // the primary still runs the old data until promotion
      expect(get<ConfigMap>('ConfigMap', 'settings-primary')?.data).toEqual({ color: 'blue' });

      for (let i = 0; i < 6 && status(store)?.phase !== 'Promoting'; i++) await tick();
      expect(status(store)?.phase).toBe('Promoting');
      expect(get<ConfigMap>('ConfigMap', 'settings-primary')?.data).toEqual({ color: 'green' });
      await tick();
      await tick();
      expect(status(store)?.phase).toBe('Succeeded');
      // an opted-out config changes nothing
      await store.apply(configMap('shared', { x: '2' }, { 'flagger.app/config-tracking': 'disabled' }));
      await tick();
      expect(status(store)?.phase).toBe('Succeeded');
    });

    it('a Secret changed mid-analysis restarts it', async () => {
      await initialise();
      await store.apply(configMap('extra', { LEVEL: 'debug' }));
      await tick(); // Progressing
      await tick(); // 10
      await tick(); // 20
      expect(weights(store)).toEqual([80, 20]);
      await store.apply(secret('token', { key: Buffer.from('rotated').toString('base64') }));
      await tick();
      expect(weights(store)).toEqual([100, 0]);
      expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    });
  });

  describe('session affinity on the HTTPRoute', () => {
    const cookieRule = (r: HTTPRouteRule) => r.matches?.[0]?.headers?.find((h) => h.name === 'Cookie')?.value;
    const ref = (r: HTTPRouteRule | undefined, name: string): HTTPBackendRef | undefined =>
      r?.backendRefs?.find((b) => b.name === name);
    const setCookie = (b: HTTPBackendRef | undefined) =>
      b?.filters?.find((f) => f.type === 'ResponseHeaderModifier')?.responseHeaderModifier?.add?.[0];

    beforeEach(async () => {
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(
        canary({
          sessionAffinity: {
            cookieName: 'flagger-cookie',
            primaryCookieName: 'primary-cookie',
            maxAge: 3600,
            path: '/',
          },
        }),
      );
    });

    it('adds the sticky rules while the canary has weight and removes them after promotion', async () => {
      await initialise();
      expect(route().spec.rules).toHaveLength(1);
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      await tick(); // Progressing, weight 0: no cookie yet
      expect(route().spec.rules).toHaveLength(1);
      expect(status(store)?.sessionAffinityCookie).toBeUndefined();

      await tick(); // weight 10
      const cookie = status(store)!.sessionAffinityCookie!;
      const primaryCookie = status(store)!.primarySessionAffinityCookie!;
      expect(cookie).toMatch(/^flagger-cookie=[A-Za-z0-9]{16}$/);
      expect(primaryCookie).toMatch(/^primary-cookie=[A-Za-z0-9]{16}$/);
      const value = cookie.split('=')[1]!;
      let rules = route().spec.rules;
      expect(rules).toHaveLength(3);
      // 1: requests carrying the canary cookie go to the canary only
      expect(cookieRule(rules[0]!)).toBe(`.*flagger-cookie=${value}.*`);
      expect(rules[0]!.matches?.[0]?.headers?.[0]?.type).toBe('RegularExpression');
      expect(rules[0]!.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
        ['podinfo-primary', 0],
        ['podinfo-canary', 100],
      ]);
      // 2: requests carrying the primary cookie stay on the primary
      expect(cookieRule(rules[1]!)).toBe(`.*primary-cookie=${primaryCookie.split('=')[1]}.*`);
      expect(rules[1]!.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
        ['podinfo-primary', 100],
        ['podinfo-canary', 0],
      ]);
      // 3: the weighted rule hands out the cookies
      expect(rules[2]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
      expect(rules[2]!.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
        ['podinfo-primary', 90],
        ['podinfo-canary', 10],
      ]);
      expect(setCookie(ref(rules[2], 'podinfo-canary'))).toEqual({
        name: 'Set-Cookie',
        value: `${cookie}; Max-Age=3600; Path=/`,
      });
      expect(setCookie(ref(rules[2], 'podinfo-primary'))).toEqual({
        name: 'Set-Cookie',
        value: `${primaryCookie}; Max-Age=10; Path=/`,
      });

      await tick(); // 20: same cookie, new weights
      rules = route().spec.rules;
      expect(status(store)?.sessionAffinityCookie).toBe(cookie);
      expect(cookieRule(rules[0]!)).toBe(`.*flagger-cookie=${value}.*`);
      expect(ref(rules[2], 'podinfo-canary')?.weight).toBe(20);
      expect(status(store)?.canaryWeight).toBe(20);

      for (let i = 0; i < 8 && status(store)?.phase !== 'Succeeded'; i++) await tick();
      expect(status(store)?.phase).toBe('Succeeded');
      rules = route().spec.rules;
      // the sticky rules and Set-Cookie filters are gone; one rule expires the old cookie, routed like everyone
      expect(status(store)?.sessionAffinityCookie).toBeUndefined();
      expect(status(store)?.previousSessionAffinityCookie).toBe(cookie);
      expect(rules).toHaveLength(2);
      expect(cookieRule(rules[0]!)).toBe(`.*flagger-cookie=${value}.*`);
      expect(rules[0]!.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
        ['podinfo-primary', 100],
        ['podinfo-canary', 0],
      ]);
      expect(rules[0]!.filters).toEqual([
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: `${cookie}; Max-Age=-1; Path=/` }] },
        },
      ]);
      expect(rules[1]!.backendRefs?.every((b) => b.filters === undefined)).toBe(true);
      expect(rules[1]!.backendRefs?.map((b) => b.weight)).toEqual([100, 0]);
    });

    it('a rollback removes the sticky rules; the next run hands out a new cookie', async () => {
      await initialise();
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      await tick();
      await tick();
      const first = status(store)!.sessionAffinityCookie!;
      expect(route().spec.rules).toHaveLength(3);
      metrics.values['request-success-rate'] = 50;
      await tick();
      await tick();
      await tick();
      expect(status(store)?.phase).toBe('Failed');
      expect(route().spec.rules).toHaveLength(2);
      expect(route().spec.rules[1]!.backendRefs?.map((b) => b.weight)).toEqual([100, 0]);
      expect(status(store)?.previousSessionAffinityCookie).toBe(first);

      metrics.values['request-success-rate'] = 100;
      await store.apply(deployment('podinfo', 'podinfo:6.0.2', 0));
      await tick();
      await tick();
      const second = status(store)!.sessionAffinityCookie!;
      expect(second).not.toBe(first);
      expect(route().spec.rules).toHaveLength(3);
      expect(cookieRule(route().spec.rules[0]!)).toBe(`.*flagger-cookie=${second.split('=')[1]}.*`);
    });
  });

  describe('mirroring', () => {
    const mirrorOf = (filters: HTTPRouteRule['filters']) =>
      filters?.find((f) => f.type === 'RequestMirror')?.requestMirror;

    it('canary + mirror: one mirrored step on the HTTPRoute, kept by the next reconcile, then weights', async () => {
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(canary({ mirror: true }));
      await initialise();
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      await tick(); // Progressing
      expect(mirrorOf(route().spec.rules[0]!.filters)).toBeUndefined();
      await tick(); // mirrored step
      expect(weights(store)).toEqual([100, 0]);
      expect(mirrorOf(route().spec.rules[0]!.filters)).toEqual({
        backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 },
      });
      expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
      await tick(); // analysed while mirrored, then the first weight without mirroring
      expect(weights(store)).toEqual([90, 10]);
      expect(mirrorOf(route().spec.rules[0]!.filters)).toBeUndefined();
      await tick();
      expect(weights(store)).toEqual([80, 20]);
    });

    it('blue/green + mirror: RequestMirror during the iterations, then all traffic to the canary, then promotion', async () => {
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(
        canary({ stepWeight: undefined, maxWeight: undefined, iterations: 3, mirror: true, mirrorWeight: 50 }),
      );
      await initialise();
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      const seen: [string | undefined, number | undefined, [number, number] | undefined, number | undefined][] = [];
      for (let i = 0; i < 9; i++) {
        await tick();
        const m = mirrorOf(route().spec.rules[0]!.filters);
        seen.push([status(store)?.phase, status(store)?.iterations, weights(store), m?.percent]);
        if (m) expect(m.backendRef).toEqual({ group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 });
      }
      expect(seen).toEqual([
        ['Progressing', 0, [100, 0], undefined],
        ['Progressing', 1, [100, 0], 50],
        ['Progressing', 2, [100, 0], 50],
        ['Progressing', 3, [100, 0], 50],
        ['Progressing', 4, [0, 100], undefined],
        ['Promoting', 4, [0, 100], undefined],
        ['Finalising', 0, [100, 0], undefined],
        ['Succeeded', 0, [100, 0], undefined],
        ['Succeeded', 0, [100, 0], undefined],
      ]);
    });

    it('the router puts a mirror with a split on the primary backendRef and reads it back', async () => {
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(canary({ mirror: true }));
      await initialise();
      const { GatewayHTTPRouteRouter } = await import('../../rollouts/routers/gateway-httproute.js');
      const router = new GatewayHTTPRouteRouter(store);
      const c = store.get('Canary', NS, 'podinfo') as Parameters<typeof router.getRoutes>[0];
      await router.setRoutes(c, { primary: 80, canary: 20, mirrored: true });
      const rule = route().spec.rules[0]!;
      expect(rule.filters).toBeUndefined();
      expect(mirrorOf(rule.backendRefs?.[0]?.filters)?.backendRef.name).toBe('podinfo-canary');
      expect(rule.backendRefs?.[1]?.filters).toBeUndefined();
      expect(router.getRoutes(c)).toEqual({ primary: 80, canary: 20, mirrored: true });
      await router.reconcile(c);
      expect(router.getRoutes(c)).toEqual({ primary: 80, canary: 20, mirrored: true });
    });
  });
});
