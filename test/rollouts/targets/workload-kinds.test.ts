import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import type {
  Canary,
  DaemonSet,
  EndpointSlice,
  HorizontalPodAutoscaler,
  KubeObject,
  Service,
  StatefulSet,
} from '../../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../../rollouts/index.js';
import { FINALIZER } from '../../../rollouts/finalizer.js';
import { canary, FakeMetrics, NS, status, weights } from '../fixtures.js';

const INTERVAL = 10_000;

function template(image: string, app = 'podinfo') {
  return {
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 9898, protocol: 'TCP' as const }] }] },
  };
}

function daemonSet(image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
    spec: { selector: { matchLabels: { app: 'podinfo' } }, template: template(image) },
  };
}

function statefulSet(image: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
    spec: {
      replicas,
      serviceName: 'podinfo',
      selector: { matchLabels: { app: 'podinfo' } },
      template: template(image),
    },
  };
}

/** stands in for the runtime: DaemonSets and StatefulSets report every pod updated and ready */
function fakeSets(store: MemoryStore): () => void {
  return store.watch((e) => {
    if (e.type === 'DELETED') return;
    const o = e.object;
    const gen = o.metadata.generation ?? 0;
    if (o.kind === 'DaemonSet') {
      const d = o as DaemonSet;
      const sel = (d.spec.template.spec as { nodeSelector?: Record<string, string> }).nodeSelector ?? {};
      const n = sel['flagger.app/scale-to-zero'] === 'true' ? 0 : 1;
      const st = { observedGeneration: gen, desiredNumberScheduled: n, updatedNumberScheduled: n, numberAvailable: n };
      if (JSON.stringify(d.status) !== JSON.stringify(st)) void store.patchStatus('DaemonSet', NS, d.metadata.name, st);
    } else if (o.kind === 'StatefulSet') {
      const s = o as StatefulSet;
      const r = s.spec.replicas;
      const st = { observedGeneration: gen, replicas: r, updatedReplicas: r, readyReplicas: r, availableReplicas: r };
      if (JSON.stringify(s.status) !== JSON.stringify(st))
        void store.patchStatus('StatefulSet', NS, s.metadata.name, st);
    }
  });
}

const targetRef = (kind: string, apiVersion = 'apps/v1') => ({ targetRef: { apiVersion, kind, name: 'podinfo' } });

describe('canary targets of every kind (Flagger canary.Factory)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let stop: () => void;
  let controller: CanaryController | undefined;
  const tick = () => clock.advance(INTERVAL);
  const get = <T extends KubeObject>(kind: string, name: string) => store.get<T>(kind, NS, name);

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    stop = fakeSets(store);
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    stop();
  });

  async function start(): Promise<CanaryController> {
    controller = startCanaryController({ store, metrics: new FakeMetrics(), clock });
    await clock.runDue();
    await tick();
    return controller;
  }

  /** ticks until the phase is `phase` (at most `max`), returning the canary weights seen on the way */
  async function until(phase: string, max = 20): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < max && status(store)?.phase !== phase; i++) {
      await tick();
      const w = weights(store);
      if (w && seen[seen.length - 1] !== w[1]) seen.push(w[1]);
    }
    expect(status(store)?.phase).toBe(phase);
    return seen;
  }

  it('DaemonSet: a -primary copy, the target scaled to zero by node selector, promoted, and scaled back to zero', async () => {
    await store.apply(daemonSet('podinfo:6.0.0'));
    await store.apply(canary({ stepWeight: 50, maxWeight: 50 }, targetRef('DaemonSet')));
    await start();
    expect(status(store)?.phase).toBe('Initialized');
    const primary = get<DaemonSet>('DaemonSet', 'podinfo-primary')!;
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.metadata.labels).toEqual({ app: 'podinfo-primary' });
    const scaledDown = () =>
      (get<DaemonSet>('DaemonSet', 'podinfo')!.spec.template.spec as { nodeSelector?: unknown }).nodeSelector;
    expect(scaledDown()).toEqual({ 'flagger.app/scale-to-zero': 'true' });
    expect(get<Service>('Service', 'podinfo')?.spec.selector).toEqual({ app: 'podinfo-primary' });

    // scaling to zero is not a new revision; a new image is
    await tick();
    expect(status(store)?.phase).toBe('Initialized');
    const next = daemonSet('podinfo:6.0.1') as DaemonSet;
    (next.spec.template.spec as { nodeSelector?: unknown }).nodeSelector = { 'flagger.app/scale-to-zero': 'true' };
    await store.apply(next);
    await tick();
    expect(status(store)?.phase).toBe('Progressing');
    expect(scaledDown()).toBeUndefined();
    expect(await until('Succeeded')).toEqual([50, 0]);
    expect(get<DaemonSet>('DaemonSet', 'podinfo-primary')!.spec.template.spec.containers[0]!.image).toBe(
      'podinfo:6.0.1',
    );
    expect(scaledDown()).toEqual({ 'flagger.app/scale-to-zero': 'true' });
  });

  it('StatefulSet: a -primary StatefulSet with the same replicas, promoted, the target scaled to zero', async () => {
    await store.apply(statefulSet('podinfo:6.0.0', 3));
    await store.apply(canary({ stepWeight: 25, maxWeight: 50 }, targetRef('StatefulSet')));
    await start();
    expect(status(store)?.phase).toBe('Initialized');
    const primary = get<StatefulSet>('StatefulSet', 'podinfo-primary')!;
    expect(primary.spec.replicas).toBe(3);
    expect(primary.spec.serviceName).toBe('podinfo');
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(get<StatefulSet>('StatefulSet', 'podinfo')!.spec.replicas).toBe(0);

    await store.apply(statefulSet('podinfo:6.0.1', 0));
    await tick();
    expect(status(store)?.phase).toBe('Progressing');
    // scaled up from zero to the primary's replicas
    expect(get<StatefulSet>('StatefulSet', 'podinfo')!.spec.replicas).toBe(3);
    expect(await until('Succeeded')).toEqual([25, 50, 0]);
    expect(get<StatefulSet>('StatefulSet', 'podinfo-primary')!.spec.template.spec.containers[0]!.image).toBe(
      'podinfo:6.0.1',
    );
    expect(get<StatefulSet>('StatefulSet', 'podinfo')!.spec.replicas).toBe(0);
  });

  it('StatefulSet with an HPA: a -primary HPA on the primary, min replicas when scaled from zero, removed on revert', async () => {
    await store.apply(statefulSet('podinfo:6.0.0', 2));
    await store.apply({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: NS, labels: { team: 'web' } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'podinfo' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
      },
    });
    await store.apply(
      canary(
        { stepWeight: 50, maxWeight: 50 },
        {
          ...targetRef('StatefulSet'),
          revertOnDeletion: true,
          autoscalerRef: {
            apiVersion: 'autoscaling/v2',
            kind: 'HorizontalPodAutoscaler',
            name: 'podinfo',
            primaryScalerReplicas: { maxReplicas: 6 },
          },
        },
      ),
    );
    await start();
    await tick();
    expect(status(store)?.phase).toBe('Initialized');
    const copy = get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'podinfo-primary')!;
    expect(copy.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'podinfo-primary' });
    expect(copy.spec.minReplicas).toBe(2);
    expect(copy.spec.maxReplicas).toBe(6);
    expect(copy.metadata.labels).toEqual({ team: 'web' });

    // the target HPA's new spec reaches the copy at promotion (init only creates)
    const hpa = get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'podinfo')!;
    await store.apply({ ...hpa, spec: { ...hpa.spec, minReplicas: 3 } });
    await tick();
    expect(get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'podinfo-primary')!.spec.minReplicas).toBe(2);
    await store.apply(statefulSet('podinfo:6.0.1', 0));
    await tick();
    // scaled from zero: the HPA's minReplicas (Flagger ScaleFromZero), the primary's replicas left to its HPA
    expect(get<StatefulSet>('StatefulSet', 'podinfo')!.spec.replicas).toBe(3);
    await until('Succeeded');
    expect(get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'podinfo-primary')!.spec.minReplicas).toBe(3);
    expect(get<StatefulSet>('StatefulSet', 'podinfo-primary')!.spec.replicas).toBe(2);

    await store.delete('Canary', NS, 'podinfo');
    await controller!.tick(NS, 'podinfo');
    await tick();
    expect(get<Canary>('Canary', 'podinfo')).toBeUndefined();
    expect(get('HorizontalPodAutoscaler', 'podinfo-primary')).toBeUndefined();
    expect(get('StatefulSet', 'podinfo-primary')).toBeUndefined();
    expect(get<StatefulSet>('StatefulSet', 'podinfo')!.spec.replicas).toBe(2);
  });

  describe('Service (Flagger ServiceController)', () => {
    const backend = (selector: Record<string, string> | undefined): Service => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'podinfo',
        namespace: NS,
        labels: { team: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 9898, protocol: 'TCP' }] },
    });
    const slice = (address: string): EndpointSlice => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'podinfo-ext', namespace: NS, labels: { 'kubernetes.io/service-name': 'podinfo' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: [address] }],
    });

    it('copies the target to -canary every tick and to -primary once, shifts weight, and promotes the spec', async () => {
      await store.apply(backend({ app: 'podinfo-v1' }));
      await store.apply(canary({ stepWeight: 20, maxWeight: 50 }, targetRef('Service', 'v1')));
      await start();
      expect(status(store)?.phase).toBe('Initialized');
      const primary = get<Service>('Service', 'podinfo-primary')!;
      expect(primary.spec.selector).toEqual({ app: 'podinfo-v1' });
      expect(primary.metadata.labels).toEqual({ team: 'web' });
      expect(primary.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
      // the target itself is left as the user wrote it (Flagger's KubernetesNoopRouter)
      expect(get<Service>('Service', 'podinfo')!.spec.selector).toEqual({ app: 'podinfo-v1' });

      await store.apply(backend({ app: 'podinfo-v2' }));
      await tick();
      expect(status(store)?.phase).toBe('Progressing');
      expect(get<Service>('Service', 'podinfo-canary')!.spec.selector).toEqual({ app: 'podinfo-v2' });
      expect(get<Service>('Service', 'podinfo-primary')!.spec.selector).toEqual({ app: 'podinfo-v1' });
      // Flagger's scheduler_svc_test expects primary weights 100, 80, 60, 40; Weir never passes maxWeight
      expect(await until('Succeeded')).toEqual([20, 40, 50, 0]);
      expect(get<Service>('Service', 'podinfo-primary')!.spec.selector).toEqual({ app: 'podinfo-v2' });
    });

    it('a target without a selector: its EndpointSlices are copied, and a slice change is a new revision', async () => {
      await store.apply(backend(undefined));
      await store.apply(slice('10.0.0.1'));
      await store.apply(
        canary({ stepWeight: 50, maxWeight: 50 }, { ...targetRef('Service', 'v1'), revertOnDeletion: true }),
      );
      await start();
      expect(status(store)?.phase).toBe('Initialized');
      const copyOf = (svc: string) =>
        store
          .list<EndpointSlice>('EndpointSlice', NS)
          .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc)
          .map((s) => `${s.metadata.name} ${s.endpoints[0]!.addresses[0]}:${s.ports[0]!.port}`);
      expect(copyOf('podinfo-primary')).toEqual(['podinfo-ext-primary 10.0.0.1:8080']);
      expect(copyOf('podinfo-canary')).toEqual(['podinfo-ext-canary 10.0.0.1:8080']);

      await store.apply(slice('10.0.0.2'));
      await tick();
      expect(status(store)?.phase).toBe('Progressing');
      expect(copyOf('podinfo-canary')).toEqual(['podinfo-ext-canary 10.0.0.2:8080']);
      expect(copyOf('podinfo-primary')).toEqual(['podinfo-ext-primary 10.0.0.1:8080']);
      await until('Succeeded');
      expect(copyOf('podinfo-primary')).toEqual(['podinfo-ext-primary 10.0.0.2:8080']);

      await store.delete('Canary', NS, 'podinfo');
      await controller!.tick(NS, 'podinfo');
      expect(get<Canary>('Canary', 'podinfo')).toBeUndefined();
      expect(get('Service', 'podinfo-primary')).toBeUndefined();
      expect(get('Service', 'podinfo-canary')).toBeUndefined();
      expect(copyOf('podinfo-primary')).toEqual([]);
      expect(copyOf('podinfo-canary')).toEqual([]);
      expect(get('HTTPRoute', 'podinfo')).toBeUndefined();
      expect(get<Service>('Service', 'podinfo')).toBeDefined();
    });
  });

  it('a Knative Service target is refused with an event on every tick', async () => {
    await store.apply(
      canary(
        {},
        { provider: 'knative', targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' } },
      ),
    );
    const c = await start();
    expect(c.events.messages(NS, 'podinfo').at(-1)).toMatch(/^target kind Knative Service is not supported/);
    expect(get('Canary', 'podinfo')?.metadata.finalizers ?? []).not.toContain(FINALIZER);
  });
});
