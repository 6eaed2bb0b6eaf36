import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import { StorePolicyInputs } from '../../../controlplane/policy/inputs.js';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { DEFAULT_POLICY_DEFAULTS } from '../../../engine/policy/index.js';
import { parseManifests, type KubeObject } from '../../../engine/resources/index.js';
import { decodePolicy } from '../../../proxy/control/decode-policy.js';
import { GrpcPolicySource } from '../../../proxy/control/grpc-policy-source.js';
import { startInboundProxy, type InboundProxy } from '../../../proxy/index.js';
import { Client, startEcho, type Echo, ManualConfigSource } from '../support/harness.js';

function objects(yaml: string): KubeObject[] {
  const r = parseManifests(yaml, 'policy.yaml');
  expect(r.errors).toEqual([]);
  return r.objects;
}

const POD = `
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: test
  labels: { app: web }
  annotations: { weir.dev/inbound-port: "4143", weir.dev/app-port: "40001" }
spec:
  serviceAccountName: web
  containers:
    - name: web
      ports: [{ name: http, containerPort: 8080 }]
      readinessProbe: { httpGet: { path: /ready, port: http } }
`;

const LOCKED = `
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web-http, namespace: test }
spec: { podSelector: { matchLabels: { app: web } }, port: http, proxyProtocol: HTTP/1 }
`;

const OPEN_PUBLIC = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: public, namespace: test }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: Server, name: web-http }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /public } }] }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: public, namespace: test }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: HTTPRoute, name: public }
  requiredAuthenticationRefs: []
`;

describe('GrpcPolicySource: the inbound policy compiled by the control plane from the store, enforced by the proxy', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  it('follows the store: default policy, then a Server locking the port, then a route opened; probes pass throughout', async () => {
    const store = new MemoryStore();
    for (const o of objects(POD)) await store.apply(o);
    const inputs = new StorePolicyInputs(store, { ...DEFAULT_POLICY_DEFAULTS, defaultPolicy: 'all-unauthenticated' });
    cleanup.push(() => inputs.close());
    const cp: ControlPlane = await startControlPlane({
      configSource: new ManualConfigSource({ services: [], httpRoutes: [], endpoints: [] }),
      policyInputs: inputs,
    });
    cleanup.push(() => cp.close());
    const source = new GrpcPolicySource({ address: cp.address, namespace: 'test', pod: 'web-1', port: 4143 });
    cleanup.push(() => source.close());
    await source.ready();
    expect(source.current().server).toEqual({ group: '', kind: 'default', name: 'all-unauthenticated' });

    const app: Echo = await startEcho('web');
    cleanup.push(() => app.close());
    const inbound: InboundProxy = await startInboundProxy({ appPort: app.port, policy: source, detectTimeoutMs: 300 });
    cleanup.push(() => inbound.close({ drainMs: 100 }));
    const client = new Client();
    cleanup.push(() => client.close());
    expect((await client.send(inbound.port, '/public/a')).status).toBe(200);

    const changed = () =>
      new Promise<void>((resolve) => {
        const off = source.subscribe(() => {
          off();
          resolve();
        });
      });
    let next = changed();
    for (const o of objects(LOCKED)) await store.apply(o);
    await next;
    expect(source.current()).toMatchObject({ protocol: 'http1', server: { kind: 'server', name: 'web-http' } });
    expect((await client.send(inbound.port, '/public/a')).status).toBe(403);
    expect((await client.send(inbound.port, '/ready')).status).toBe(200);

    next = changed();
    for (const o of objects(OPEN_PUBLIC)) await store.apply(o);
    await next;
    expect((await client.send(inbound.port, '/public/a')).status).toBe(200);
    expect((await client.send(inbound.port, '/private')).status).toBe(404);
    expect((await client.send(inbound.port, '/ready')).status).toBe(200);
  });

  it('refuses a policy whose route matches do not validate, naming the field (the policy in force stays)', () => {
    const message = {
      protocol: { kind: 'detect' as const, detect: { timeoutMs: 10_000 } },
      authorizations: [],
      labels: { group: 'policy.linkerd.io', kind: 'server', name: 'web-http' },
      httpRoutes: [
        {
          labels: { group: 'gateway.networking.k8s.io', kind: 'httproute', name: 'r' },
          matchesJson: JSON.stringify([{ path: { type: 'Glob', value: '/x' } }]),
          authorizations: [],
        },
      ],
      localRateLimit: null,
    };
    expect(decodePolicy(message as never)).toEqual({
      errors: [expect.stringMatching(/^httpRoutes\[0\]\.matches\[0\]\.path\.type: /)],
    });
  });
});
