import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../controlplane/discovery/index.js';
import { ClusterIPAllocator } from '../../controlplane/discovery/cluster-ips.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { parseManifests } from '../../engine/resources/index.js';

const manifests = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec: { selector: { app: api }, ports: [{ name: http, port: 81 }] }
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8c6b5-x2kq9
  namespace: shop
  labels: { app: web, pod-template-hash: 7d9f8c6b5 }
  annotations: { weir.io/proxy-inbound: "4143", weir.dev/inbound-port: "4143" }
spec: { serviceAccountName: web, containers: [{ name: app, image: web:1 }] }
status: { phase: Running, podIP: 10.0.0.7, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: v1
kind: Pod
metadata:
  name: api-1
  namespace: shop
  labels: { app: api }
  annotations: { weir.dev/inbound-port: "9000" }
spec: { containers: [{ name: app, image: api:1 }] }
status: { phase: Running, podIP: 10.0.0.9, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-abcde, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
endpoints:
  - addresses: [10.0.0.7]
    conditions: { ready: true }
    targetRef: { kind: Pod, name: web-7d9f8c6b5-x2kq9, namespace: shop }
ports: [{ name: http, port: 8080 }]
`;

async function store(): Promise<MemoryStore> {
  const s = new MemoryStore();
  const parsed = parseManifests(manifests);
  expect(parsed.errors).toEqual([]);
  for (const o of parsed.objects) await s.apply(o);
  return s;
}

describe('discovery with endpoints from EndpointSlices (weir control-plane on a cluster)', () => {
  it("a selected Service's endpoints are its slices', with the Pod's deployment and mesh identity", async () => {
    const snap = buildSnapshot(await store(), 1, new ClusterIPAllocator(), 'slices');
    const web = snap.endpoints.find((e) => e.service === 'web');
    expect(web?.endpoints).toEqual([
      {
        address: '10.0.0.7',
        port: 8080,
        ready: true,
        pod: 'web-7d9f8c6b5-x2kq9',
        namespace: 'shop',
        deployment: 'web',
        identity: 'web.shop.serviceaccount.identity.weir.cluster.local',
      },
    ]);
    // a selected Service without any slice (the embedded API): its Pods, as before
    expect(snap.endpoints.find((e) => e.service === 'api')?.endpoints).toMatchObject([
      { address: '10.0.0.9', port: 9000, pod: 'api-1' },
    ]);
  });

  it('the default reads selected Services from their Pods', async () => {
    const snap = buildSnapshot(await store(), 1);
    expect(snap.endpoints.find((e) => e.service === 'web')?.endpoints).toMatchObject([
      { address: '10.0.0.7', port: 4143, pod: 'web-7d9f8c6b5-x2kq9' },
    ]);
  });
});
