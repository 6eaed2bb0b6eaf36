import { afterEach, describe, expect, it } from 'vitest';
import { endpointsKey, type MeshSnapshot, type ServicePortEndpoints } from '../../engine/mesh/snapshot.js';
import type { KubeObject } from '../../engine/resources/index.js';
import { createDiscovery, deploymentOf, type StoreConfigSource } from '../../controlplane/discovery/index.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { waitFor } from './helpers.js';

function pod(
  name: string,
  labels: Record<string, string>,
  opts: { ready?: boolean; inbound?: number } = {},
): KubeObject {
  const hash = name.split('-').at(-2) ?? 'h';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'test',
      labels: { ...labels, 'pod-template-hash': hash },
      annotations: { 'weir.dev/inbound-port': String(opts.inbound ?? 4000), 'weir.dev/app-port': '5000' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: name.slice(0, name.lastIndexOf('-')), controller: true },
      ],
    } as KubeObject['metadata'],
    status: {
      phase: 'Running',
      podIP: '127.0.0.1',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const service = (name: string, ports: object[], selector?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'test' },
  spec: { ...(selector ? { selector } : {}), ports },
});

const slice = (name: string, service: string, ports: object[], endpoints: object[]): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'test', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports,
    endpoints,
  }) as KubeObject;

function entry(s: MeshSnapshot, svc: string, port: number): ServicePortEndpoints | undefined {
  return s.endpoints.find((e) => endpointsKey(e.namespace, e.service, e.port) === endpointsKey('test', svc, port));
}

let source: StoreConfigSource | undefined;
afterEach(() => {
  source?.close();
  source = undefined;
});

describe('discovery', () => {
  it('gives a selector Service the inbound ports of its matching Pods, with readiness', async () => {
    const store = new MemoryStore();
    await store.apply(service('podinfo', [{ name: 'http', port: 9898 }], { app: 'podinfo' }));
    await store.apply(pod('podinfo-5d8f7c9b6d-abcde', { app: 'podinfo', extra: 'x' }, { inbound: 4001 }));
    await store.apply(pod('podinfo-5d8f7c9b6d-fghij', { app: 'podinfo' }, { inbound: 4002, ready: false }));
    await store.apply(pod('other-7c9b6d5d8f-klmno', { app: 'other' }, { inbound: 4003 }));
    source = createDiscovery(store);

    const snap = source.current();
    expect(snap.services.map((s) => s.metadata.name)).toEqual(['podinfo']);
    expect(entry(snap, 'podinfo', 9898)).toEqual({
      namespace: 'test',
      service: 'podinfo',
      port: 9898,
      portName: 'http',
      endpoints: [
        {
          address: '127.0.0.1',
          port: 4001,
          ready: true,
          pod: 'podinfo-5d8f7c9b6d-abcde',
          deployment: 'podinfo',
          namespace: 'test',
        },
        {
          address: '127.0.0.1',
          port: 4002,
          ready: false,
          pod: 'podinfo-5d8f7c9b6d-fghij',
          deployment: 'podinfo',
          namespace: 'test',
        },
      ],
    });
  });

  it('reads the EndpointSlices of a selector-less Service, matching ports by name', async () => {
    const store = new MemoryStore();
    await store.apply(
      service('external', [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'admin', port: 9000, targetPort: 9001 },
      ]),
    );
    await store.apply(
      slice(
        'external-1',
        'external',
        [
          { name: 'http', port: 18080 },
          { name: 'admin', port: 19001 },
        ],
        [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: false } }],
      ),
    );
    await store.apply(
      slice('external-2', 'external', [{ name: 'http', port: 28080 }], [{ addresses: ['10.0.0.3', '10.0.0.4'] }]),
    );
    await store.apply(slice('unrelated', 'someone-else', [{ name: 'http', port: 1 }], [{ addresses: ['10.9.9.9'] }]));
    source = createDiscovery(store);

    const snap = source.current();
    expect(entry(snap, 'external', 80)?.endpoints).toEqual([
      { address: '10.0.0.1', port: 18080, ready: true },
      { address: '10.0.0.2', port: 18080, ready: false },
      { address: '10.0.0.3', port: 28080, ready: true },
      { address: '10.0.0.4', port: 28080, ready: true },
    ]);
    // the second slice has no "admin" port: it serves only "http"
    expect(entry(snap, 'external', 9000)?.endpoints).toEqual([
      { address: '10.0.0.1', port: 19001, ready: true },
      { address: '10.0.0.2', port: 19001, ready: false },
    ]);
  });

  it("uses the Service's numeric targetPort when a slice gives no port", async () => {
    const store = new MemoryStore();
    await store.apply(service('db', [{ port: 5432, targetPort: 15432 }]));
    await store.apply(slice('db-1', 'db', [], [{ addresses: ['127.0.0.1'] }]));
    await store.apply(service('cache', [{ port: 6379 }]));
    await store.apply(slice('cache-1', 'cache', [{}], [{ addresses: ['127.0.0.2'] }]));
    source = createDiscovery(store);
    const snap = source.current();
    expect(entry(snap, 'db', 5432)?.endpoints).toEqual([{ address: '127.0.0.1', port: 15432, ready: true }]);
    expect(entry(snap, 'cache', 6379)?.endpoints).toEqual([{ address: '127.0.0.2', port: 6379, ready: true }]);
  });

  it('coalesces a burst of changes into one new snapshot and ignores irrelevant ones', async () => {
    const store = new MemoryStore();
    await store.apply(service('podinfo', [{ name: 'http', port: 9898 }], { app: 'podinfo' }));
    source = createDiscovery(store);
    const seen: MeshSnapshot[] = [];
    source.subscribe((s) => seen.push(s));
    const v1 = source.current().version;

    await store.apply(pod('podinfo-5d8f7c9b6d-abcde', { app: 'podinfo' }, { inbound: 4001, ready: false }));
    await store.apply(pod('podinfo-5d8f7c9b6d-fghij', { app: 'podinfo' }, { inbound: 4002 }));
    await store.apply(pod('podinfo-5d8f7c9b6d-abcde', { app: 'podinfo' }, { inbound: 4001 }));
    await waitFor(() => seen.length >= 1, 'a new snapshot', 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.version).toBeGreaterThan(v1);
    expect(entry(seen[0]!, 'podinfo', 9898)?.endpoints.map((e) => [e.port, e.ready])).toEqual([
      [4001, true],
      [4002, true],
    ]);
    expect(source.current()).toBe(seen[0]);

    // a Deployment is not part of the mesh view; a Pod change that alters nothing visible is not news
    await store.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        selector: { matchLabels: { app: 'podinfo' } },
        template: { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [{ name: 'app' }] } },
      },
    });
    const p = store.get('Pod', 'test', 'podinfo-5d8f7c9b6d-abcde')!;
    await store.patchStatus('Pod', 'test', p.metadata.name, { ...(p.status as object), startTime: 'now' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);

    await store.delete('Pod', 'test', 'podinfo-5d8f7c9b6d-fghij');
    await waitFor(() => seen.length === 2, 'the deletion to be published', 2000);
    expect(seen[1]!.version).toBeGreaterThan(seen[0]!.version);
    expect(entry(seen[1]!, 'podinfo', 9898)?.endpoints.map((e) => e.port)).toEqual([4001]);
  });

  it('publishes HTTPRoute changes', async () => {
    const store = new MemoryStore();
    source = createDiscovery(store);
    const seen: MeshSnapshot[] = [];
    source.subscribe((s) => seen.push(s));
    await store.apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: { rules: [{ backendRefs: [{ name: 'podinfo-primary', port: 9898, weight: 100 }] }] },
    });
    await waitFor(() => seen.length === 1, 'the route to be published', 2000);
    expect(seen[0]!.httpRoutes.map((r) => r.metadata.name)).toEqual(['podinfo']);
  });

  it('names the Deployment of a Pod from its owner or its name', () => {
    expect(deploymentOf(pod('my-app-6f7d8c9b5-x2kq9', {}))).toBe('my-app');
    expect(
      deploymentOf({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web-abc123-zzzzz', namespace: 'd', labels: { 'pod-template-hash': 'abc123' } },
      }),
    ).toBe('web');
  });
});
