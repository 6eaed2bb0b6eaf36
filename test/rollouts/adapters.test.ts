import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema, type Deployment, type HTTPRoute, type Service } from '../../engine/resources/index.js';
import { deploymentReadiness, DeploymentTarget, GatewayHTTPRouteRouter } from '../../rollouts/index.js';
import { canary, deployment, NS } from './fixtures.js';

const now = new Date('2026-01-01T00:10:00Z');

function dep(status: Deployment['status'], generation = 3, replicas = 2): Deployment {
  return { ...deployment('podinfo', 'x', replicas), metadata: { name: 'podinfo', namespace: NS, generation }, status };
}

describe('Deployment readiness (Flagger isDeploymentReady)', () => {
  it.each([
    [
      { observedGeneration: 2 },
      {
        ready: false,
        retriable: true,
        message: 'waiting for rollout to finish: observed deployment generation less than desired generation',
      },
    ],
    [
      { observedGeneration: 3, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
      {
        ready: false,
        retriable: true,
        message: 'waiting for rollout to finish: 1 out of 2 new replicas have been updated',
      },
    ],
    [
      { observedGeneration: 3, replicas: 3, updatedReplicas: 2, availableReplicas: 2 },
      {
        ready: false,
        retriable: true,
        message: 'waiting for rollout to finish: 1 old replicas are pending termination',
      },
    ],
    [
      { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
      {
        ready: false,
        retriable: true,
        message: 'waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available',
      },
    ],
    [{ observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, { ready: true }],
    [{ observedGeneration: 3, replicas: 2, readyReplicas: 2 }, { ready: true }],
    [
      {
        observedGeneration: 3,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
      { ready: false, retriable: false, message: 'deployment "podinfo" exceeded its progress deadline' },
    ],
    [
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 0,
        conditions: [
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
          {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            lastUpdateTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
      {
        ready: false,
        retriable: false,
        message: 'waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available',
      },
    ],
  ])('%j', (status, want) => {
    expect(deploymentReadiness(dep(status as Deployment['status']), 100, 300, now)).toEqual(want);
  });

  it('readyThreshold: floor(updated * pct / 100)', () => {
    const d = dep({ observedGeneration: 3, replicas: 4, updatedReplicas: 4, availableReplicas: 2 }, 3, 4);
    expect(deploymentReadiness(d, 50, 600, now)).toEqual({ ready: true });
    expect(deploymentReadiness(d, 75, 600, now).ready).toBe(false);
  });
});

describe('DeploymentTarget', () => {
  it('keeps a user-defined apex Service and generates -primary/-canary', async () => {
    const store = new MemoryStore();
    await store.apply(deployment('podinfo', 'podinfo:1'));
    await store.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: NS },
      spec: { selector: { app: 'podinfo' }, ports: [{ port: 9898 }] },
    });
    const cr = canarySchema.parse(canary({}, { service: { port: 9898, targetPort: 'http', portName: 'web' } }));
    const t = new DeploymentTarget(store);
    await t.reconcileServices(cr);
    expect(store.get<Service>('Service', NS, 'podinfo')?.spec.selector).toEqual({ app: 'podinfo' });
    const primary = store.get<Service>('Service', NS, 'podinfo-primary')!;
    expect(primary.spec).toMatchObject({
      selector: { app: 'podinfo-primary' },
      ports: [{ name: 'web', port: 9898, targetPort: 'http' }],
    });
    const rv = primary.metadata.resourceVersion;
    await t.reconcileServices(cr);
    expect(store.get<Service>('Service', NS, 'podinfo-primary')?.metadata.resourceVersion).toBe(rv);
  });

  it('needs an app/name selector label', async () => {
    const store = new MemoryStore();
    const d = deployment('podinfo', 'x');
    d.spec.selector = { matchLabels: { tier: 'web' } };
    d.spec.template.metadata.labels = { tier: 'web' };
    await store.apply(d);
    const t = new DeploymentTarget(store);
    await expect(t.createPrimary(canarySchema.parse(canary()))).rejects.toThrow(/selector not found/);
  });

  it('uses the name label when there is no app label', async () => {
    const store = new MemoryStore();
    const d = deployment('podinfo', 'x');
    d.spec.selector = { matchLabels: { name: 'podinfo', tier: 'web' } };
    d.spec.template.metadata.labels = { name: 'podinfo', tier: 'web' };
    await store.apply(d);
    await new DeploymentTarget(store).createPrimary(canarySchema.parse(canary()));
    const p = store.get<Deployment>('Deployment', NS, 'podinfo-primary')!;
    expect(p.spec.selector.matchLabels).toEqual({ name: 'podinfo-primary' });
    expect(p.spec.template.metadata.labels).toEqual({ name: 'podinfo-primary', tier: 'web' });
  });
});

describe('Gateway API HTTPRoute router', () => {
  it('writes Flagger-shaped routes and reads weights back', async () => {
    const store = new MemoryStore();
    const cr = canarySchema.parse(
      canary(
        {},
        {
          service: {
            port: 9898,
            timeout: '30s',
            backendTimeout: '1500ms',
            hosts: ['podinfo.example.com'],
            gatewayRefs: [{ name: 'public', namespace: 'gw' }],
            apex: { labels: { team: 'a' }, annotations: { note: 'x' } },
            match: [{ uri: { prefix: '/api' }, headers: { 'x-env': { exact: 'prod' } } }],
          },
        },
      ),
    );
    const r = new GatewayHTTPRouteRouter(store);
    expect(r.getRoutes(cr)).toBeUndefined();
    await r.reconcile(cr);
    const route = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!;
    expect(route.metadata.labels).toEqual({ team: 'a' });
    expect(route.metadata.annotations).toEqual({ note: 'x' });
    expect(route.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gw' },
    ]);
    expect(route.spec.hostnames).toEqual(['podinfo.example.com']);
    expect(route.spec.rules).toHaveLength(1);
    expect(route.spec.rules[0]).toMatchObject({
      matches: [
        { path: { type: 'PathPrefix', value: '/api' }, headers: [{ type: 'Exact', name: 'x-env', value: 'prod' }] },
      ],
      timeouts: { request: '30s', backendRequest: '1500ms' },
    });
    expect(r.getRoutes(cr)).toEqual({ primary: 100, canary: 0 });
    await r.setRoutes(cr, { primary: 70, canary: 30 });
    expect(r.getRoutes(cr)).toEqual({ primary: 70, canary: 30 });
    // reconcile keeps the weights
    await r.reconcile(cr);
    expect(r.getRoutes(cr)).toEqual({ primary: 70, canary: 30 });
    await r.setRoutes(cr, { primary: 100, canary: 0, mirrored: true });
    expect(store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')?.spec.rules[0]?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 } },
      },
    ]);
    expect(r.getRoutes(cr)).toEqual({ primary: 100, canary: 0, mirrored: true });
  });

  it('A/B: the analysis match on the weighted rule, then a primary-only rule', async () => {
    const store = new MemoryStore();
    const cr = canarySchema.parse(
      canary({
        stepWeight: undefined,
        maxWeight: undefined,
        iterations: 5,
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      }),
    );
    const r = new GatewayHTTPRouteRouter(store);
    await r.reconcile(cr);
    await r.setRoutes(cr, { primary: 0, canary: 100 });
    const rules = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')!.spec.rules;
    expect(rules).toHaveLength(2);
    expect(rules[0]?.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-canary', value: 'insider' }] },
    ]);
    expect(rules[0]?.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
      ['podinfo-primary', 0],
      ['podinfo-canary', 100],
    ]);
    expect(rules[1]?.backendRefs?.map((b) => [b.name, b.weight])).toEqual([['podinfo-primary', 100]]);
  });

  it('without gatewayRefs attaches to the apex Service (GAMMA)', async () => {
    const store = new MemoryStore();
    const cr = canarySchema.parse(canary({}, { service: { port: 80 } }));
    await new GatewayHTTPRouteRouter(store).reconcile(cr);
    expect(store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')?.spec.parentRefs).toEqual([
      { group: 'core', kind: 'Service', name: 'podinfo', port: 80 },
    ]);
  });
});
