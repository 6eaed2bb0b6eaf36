import { status } from '@grpc/grpc-js';
import { credentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreEgressInputs } from '../../../controlplane/egress/inputs.js';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import type { EgressPolicy } from '../../../engine/policy/egress.js';
import { decodeResource, type KubeObject } from '../../../engine/resources/index.js';
import { weirApi } from '../../../proto/load.js';
import { GrpcEgressSource } from '../../../proxy/control/grpc-egress-source.js';
import { ManualConfigSource } from '../../proxy/support/harness.js';

function object(raw: Record<string, unknown>): KubeObject {
  const r = decodeResource(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.object;
}

const egressNetwork = (ns: string, name: string, trafficPolicy: string, cidr?: string) =>
  object({
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'EgressNetwork',
    metadata: { namespace: ns, name },
    spec: { trafficPolicy, ...(cidr !== undefined ? { networks: [{ cidr }] } : {}) },
  });

const GET = { method: 'GET', url: '/get', headers: {} };

describe('the EgressPolicies API', () => {
  let cp: ControlPlane | undefined;
  let source: GrpcEgressSource | undefined;
  let inputs: StoreEgressInputs | undefined;
  afterEach(async () => {
    source?.close();
    inputs?.close();
    await cp?.close();
  });

  it('serves a namespace its EgressNetworks (else the global ones) with their routes, and again when they change', async () => {
    const store = new MemoryStore();
    await store.apply(egressNetwork('linkerd-egress', 'global', 'Deny'));
    await store.apply(egressNetwork('other', 'not-mine', 'Allow'));
    await store.apply(
      object({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { namespace: 'linkerd-egress', name: 'get' },
        spec: {
          parentRefs: [{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'global' }],
          rules: [{ matches: [{ path: { type: 'Exact', value: '/get' } }] }],
        },
      }),
    );
    inputs = new StoreEgressInputs(store, 1);
    cp = await startControlPlane({
      configSource: new ManualConfigSource({ services: [], httpRoutes: [], endpoints: [] }),
      egressInputs: inputs,
    });
    const applied: EgressPolicy[] = [];
    let notify: () => void = () => undefined;
    source = new GrpcEgressSource({
      address: cp.address,
      namespace: 'shop',
      pod: 'web-1',
      onApplied: (p) => {
        applied.push(p);
        notify();
      },
    });
    const next = (n: number) =>
      new Promise<EgressPolicy>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no policy #${n} within 10 s`)), 10_000);
        const check = () => {
          if (applied.length >= n) {
            clearTimeout(t);
            resolve(applied[n - 1]!);
          }
        };
        notify = check;
        check();
      });

    const first = await next(1);
    expect(first.networks.map((n) => `${n.namespace}/${n.name}`)).toEqual(['linkerd-egress/global']);
    expect(first.http('8.8.8.8', 80, 'h', GET)).toMatchObject({ action: 'allow', route: { name: 'get' } });
    expect(first.http('8.8.8.8', 80, 'h', { ...GET, url: '/x' })?.action).toBe('deny');

    // the namespace gets its own: only that one counts now
    await store.apply(egressNetwork('shop', 'mine', 'Allow', '10.0.0.0/8'));
    const second = await next(2);
    expect(source.current()).toBe(second);
    expect(second.networks.map((n) => n.name)).toEqual(['mine']);
    expect(second.network('8.8.8.8')).toBeUndefined();
    expect(second.http('10.1.1.1', 80, 'h', GET)?.route.name).toBe('http-egress-allow');
  });

  it('refuses a context token without a namespace (INVALID_ARGUMENT)', async () => {
    cp = await startControlPlane({
      configSource: new ManualConfigSource({ services: [], httpRoutes: [], endpoints: [] }),
    });
    const client = new (weirApi().egress.v1.EgressPolicies)(cp.address, credentials.createInsecure());
    const code = await new Promise<number>((resolve) => {
      const call = client.Watch({ contextToken: 'nope' });
      call.on('error', (e: { code: number }) => resolve(e.code));
      call.on('data', () => undefined);
    });
    client.close();
    expect(code).toBe(status.INVALID_ARGUMENT);
  });
});
