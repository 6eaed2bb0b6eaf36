import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { canarySchema, type Service } from '../../../engine/resources/index.js';
import { DeploymentTarget } from '../../../rollouts/index.js';
import { canary, deployment, NS } from '../fixtures.js';

/** the store with podinfo's Deployment: containers `podinfo` (3 ports) and a linkerd-proxy sidecar */
async function setup(service: Record<string, unknown>) {
  const store = new MemoryStore();
  const d = deployment('podinfo', 'podinfo:1');
  d.spec.template.spec!.containers = [
    {
      name: 'podinfo',
      image: 'podinfo:1',
      ports: [
        { name: 'http', containerPort: 9898, protocol: 'TCP' },
        { name: 'http-metrics', containerPort: 8080, protocol: 'TCP' },
        { containerPort: 8888, protocol: 'TCP' },
      ],
    },
    { name: 'linkerd-proxy', image: 'proxy', ports: [{ name: 'linkerd-admin', containerPort: 4191, protocol: 'TCP' }] },
  ];
  await store.apply(d);
  const cr = canarySchema.parse(canary({}, { service: { port: 9898, ...service } }));
  const t = new DeploymentTarget(store);
  await t.reconcileServices(cr);
  await t.reconcileApexService(cr);
  const get = (name: string) => store.get<Service>('Service', NS, name)!;
  return { store, cr, t, get };
}

describe("generated Services (Flagger's KubernetesDefaultRouter)", () => {
  it("portDiscovery adds every container port but the service's own, named as Flagger names them", async () => {
    const { get } = await setup({ portDiscovery: true });
    for (const name of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
      expect(get(name).spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
        ['http', 9898, 9898],
        ['http-metrics', 8080, 8080],
        ['tcp-podinfo-2', 8888, 8888],
      ]);
    }
  });

  it('service.ports: the generated Services carry exactly the listed ports, over portDiscovery', async () => {
    const { get } = await setup({
      portDiscovery: true,
      ports: [
        { name: 'http', port: 9898 },
        { name: 'grpc', port: 9999, targetPort: 'grpc', appProtocol: 'grpc' },
      ],
    });
    for (const name of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
      expect(get(name).spec.ports.map((p) => [p.name, p.port, p.targetPort, p.appProtocol])).toEqual([
        ['http', 9898, 9898, undefined],
        ['grpc', 9999, 'grpc', 'grpc'],
      ]);
    }
  });

  it('without portDiscovery only the service port', async () => {
    const { get } = await setup({});
    expect(get('podinfo-canary').spec.ports.map((p) => p.name)).toEqual(['http']);
  });

  it('headless and trafficDistribution reach the generated Services', async () => {
    const { get } = await setup({ headless: true, trafficDistribution: 'PreferClose' });
    for (const name of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
      expect(get(name).spec).toMatchObject({ clusterIP: 'None', trafficDistribution: 'PreferClose' });
    }
  });

  it('unmanagedMetadata: keys others set on an owned Service survive the next reconcile; others are reset', async () => {
    const { store, cr, t, get } = await setup({
      canary: { labels: { tier: 'web' } },
      unmanagedMetadata: { annotations: ['team.io/owner'], labels: ['env'] },
    });
    const svc = structuredClone(get('podinfo-canary'));
    delete svc.metadata.resourceVersion;
    svc.metadata.annotations = { ...svc.metadata.annotations, 'team.io/owner': 'payments', 'other.io/x': 'y' };
    svc.metadata.labels = { ...svc.metadata.labels, env: 'prod', tier: 'changed' };
    await store.apply(svc);
    await t.reconcileServices(cr);
    const after = get('podinfo-canary');
    expect(after.metadata.annotations?.['team.io/owner']).toBe('payments');
    expect(after.metadata.annotations?.['other.io/x']).toBeUndefined();
    expect(after.metadata.labels).toMatchObject({ env: 'prod', tier: 'web', app: 'podinfo' });
  });

  it('a reconcile with nothing changed writes nothing', async () => {
    const { cr, t, get } = await setup({ portDiscovery: true, headless: true });
    const rv = get('podinfo-primary').metadata.resourceVersion;
    await t.reconcileServices(cr);
    expect(get('podinfo-primary').metadata.resourceVersion).toBe(rv);
  });
});
