import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema, type ConfigMap, type Deployment, type Pod, type Service } from '../../engine/resources/index.js';
import { DeploymentTarget, FLAGGER_ID_ANNOTATION, podFailure } from '../../rollouts/targets/deployment.js';
import { canary, deployment, NS } from './fixtures.js';

/** podinfo reading VERSION from ConfigMap `cfg` */
async function withConfig(store: MemoryStore, version: string): Promise<void> {
  const d = deployment('podinfo', 'podinfo:1');
  d.spec.template.spec.containers[0]!.env = [
    { name: 'VERSION', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'VERSION' } } },
  ];
  await store.apply(d);
  await setConfig(store, version);
}

async function setConfig(store: MemoryStore, version: string): Promise<void> {
  const cm: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: NS },
    data: { VERSION: version },
  };
  await store.apply(cm);
}

const primary = (store: MemoryStore) => store.get<Deployment>('Deployment', NS, 'podinfo-primary')!;

describe('promotion of a revision that changed only a ConfigMap', () => {
  it('updates cfg-primary and changes the primary pod template, so its pods restart', async () => {
    const store = new MemoryStore();
    await withConfig(store, '1.0.0');
    const cr = canarySchema.parse(canary());
    const t = new DeploymentTarget(store);
    await t.createPrimary(cr);
    const before = primary(store);
    expect(before.spec.template.spec.containers[0]!.env?.[0]?.valueFrom?.configMapKeyRef?.name).toBe('cfg-primary');
    const idBefore = before.spec.template.metadata.annotations?.[FLAGGER_ID_ANNOTATION];
    expect(idBefore).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);

    await setConfig(store, '2.0.0');
    await t.promote(cr);
    expect(store.get<ConfigMap>('ConfigMap', NS, 'cfg-primary')?.data).toEqual({ VERSION: '2.0.0' });
    const after = primary(store);
    const idAfter = after.spec.template.metadata.annotations?.[FLAGGER_ID_ANNOTATION];
    expect(idAfter).toBeDefined();
    expect(idAfter).not.toBe(idBefore);
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation ?? 0);
  });

  it('a repeated promotion of the same revision changes nothing', async () => {
    const store = new MemoryStore();
    await withConfig(store, '1.0.0');
    const cr = canarySchema.parse(canary());
    const t = new DeploymentTarget(store);
    await t.createPrimary(cr);
    await setConfig(store, '2.0.0');
    await t.promote(cr);
    const rv = primary(store).metadata.resourceVersion;
    await t.promote(cr);
    expect(primary(store).metadata.resourceVersion).toBe(rv);
  });

  it('keeps the target template annotations next to flagger-id', async () => {
    const store = new MemoryStore();
    const d = deployment('podinfo', 'podinfo:1');
    d.spec.template.metadata.annotations = { team: 'web' };
    await store.apply(d);
    await new DeploymentTarget(store).createPrimary(canarySchema.parse(canary()));
    expect(Object.keys(primary(store).spec.template.metadata.annotations ?? {}).sort()).toEqual([
      FLAGGER_ID_ANNOTATION,
      'team',
    ]);
  });
});

describe('the apex Service (Flagger kubeRouter.Reconcile)', () => {
  const userApex: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'podinfo', namespace: NS, labels: { team: 'web' }, annotations: { note: 'mine' } },
    spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898, targetPort: 'http', protocol: 'TCP' }] },
  };

  it("points a user-defined apex Service at the primary's pods and keeps its metadata", async () => {
    const store = new MemoryStore();
    await store.apply(deployment('podinfo', 'podinfo:1'));
    await store.apply(userApex);
    const cr = canarySchema.parse(canary({}, { service: { port: 9898, targetPort: 9898 } }));
    const t = new DeploymentTarget(store);
    await t.reconcileServices(cr);
    // the generated Services alone leave the apex as it is (the primary may not be ready yet)
    expect(store.get<Service>('Service', NS, 'podinfo')?.spec.selector).toEqual({ app: 'podinfo' });
    await t.reconcileApexService(cr);
    const apex = store.get<Service>('Service', NS, 'podinfo')!;
    expect(apex.spec.selector).toEqual({ app: 'podinfo-primary' });
    expect(apex.spec.ports).toEqual([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
    expect(apex.metadata.labels).toEqual({ team: 'web' });
    expect(apex.metadata.annotations).toEqual({ note: 'mine' });
    const rv = apex.metadata.resourceVersion;
    await t.reconcileApexService(cr);
    expect(store.get<Service>('Service', NS, 'podinfo')?.metadata.resourceVersion).toBe(rv);
  });

  it('creates the apex Service on the primary when the user has none', async () => {
    const store = new MemoryStore();
    await store.apply(deployment('podinfo', 'podinfo:1'));
    const cr = canarySchema.parse(canary());
    await new DeploymentTarget(store).reconcileApexService(cr);
    expect(store.get<Service>('Service', NS, 'podinfo')?.spec).toMatchObject({
      selector: { app: 'podinfo-primary' },
      ports: [{ name: 'http', port: 9898, targetPort: 9898 }],
    });
  });
});

describe('podFailure: why a pod of the target cannot start', () => {
  const pod = (name: string, app: string, containerStatus: Record<string, unknown>): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app } },
    spec: { containers: [{ name: 'app' }] },
    status: { containerStatuses: [{ name: 'app', restartCount: 0, ready: false, ...containerStatus }] },
  });

  it('CreateContainerConfigError with the waiting message; CrashLoopBackOff with the last exit', () => {
    const pods = [
      pod('podinfo-primary-x', 'podinfo-primary', { state: { waiting: { reason: 'CrashLoopBackOff' } } }),
      pod('podinfo-a', 'podinfo', { state: { waiting: { reason: 'ContainerCreating' } } }),
      pod('podinfo-b', 'podinfo', {
        state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' } },
      }),
    ];
    expect(podFailure(pods, { app: 'podinfo' })).toEqual({
      pod: 'podinfo-b',
      reason: 'CreateContainerConfigError',
      message: 'configmap "cfg" not found',
    });
    const crash = pod('podinfo-c', 'podinfo', {
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2000 ms restarting: exited with code 1' } },
      lastState: {
        terminated: { exitCode: 1, reason: 'Error', message: 'starting\nError: EADDRINUSE\n  at listen\n' },
      },
    });
    expect(podFailure([crash], { app: 'podinfo' })?.message).toBe(
      'back-off 2000 ms restarting: exited with code 1; last exit code 1 (Error): starting | Error: EADDRINUSE | at listen',
    );
    expect(podFailure([pods[1]!], { app: 'podinfo' })).toBeUndefined();
  });

  it('a container caught between two crashes (started again, not ready) is still CrashLoopBackOff', () => {
    const restarting = pod('podinfo-d', 'podinfo', {
      restartCount: 3,
      state: { running: { startedAt: '2026-12-03T10:00:00Z' } },
      lastState: { terminated: { exitCode: 3, reason: 'Error', message: 'config missing: DB_URL' } },
    });
    expect(podFailure([restarting], { app: 'podinfo' })).toEqual({
      pod: 'podinfo-d',
      reason: 'CrashLoopBackOff',
      message: 'restarted 3 times; last exit code 3 (Error): config missing: DB_URL',
    });
    // a container that restarted once and is ready again is well
    const recovered = pod('podinfo-e', 'podinfo', {
      restartCount: 1,
      ready: true,
      state: { running: {} },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(podFailure([recovered], { app: 'podinfo' })).toBeUndefined();
  });

  it("observeTarget puts the pod's reason into the readiness", async () => {
    const store = new MemoryStore();
    const d = deployment('podinfo', 'podinfo:1', 1);
    await store.apply(d);
    await store.apply(
      pod('podinfo-b', 'podinfo', {
        state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' } },
      }),
    );
    const r = new DeploymentTarget(store).observeTarget(canarySchema.parse(canary()), new Date());
    expect(r.readiness).toMatchObject({
      ready: false,
      pod: { pod: 'podinfo-b', reason: 'CreateContainerConfigError' },
    });
    expect(r.readiness.ready ? '' : r.readiness.message).toMatch(
      /not ready: .*; pod podinfo-b CreateContainerConfigError: configmap "cfg" not found$/,
    );
  });
});
