import { describe, expect, it } from 'vitest';
import { ClusterIPAllocator } from '../../controlplane/discovery/cluster-ips.js';
import type { Service } from '../../engine/resources/index.js';

function svc(
  name: string,
  port: number,
  opts: { managed?: boolean; created?: string; clusterIP?: string } = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: 'test',
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      ...(opts.managed ? { annotations: { 'weir.dev/managed-by': 'canary-controller' } } : {}),
    },
    spec: { ports: [{ port, protocol: 'TCP' }], ...(opts.clusterIP ? { clusterIP: opts.clusterIP } : {}) },
  } as Service;
}

const ips = (list: Service[]) => Object.fromEntries(list.map((s) => [s.metadata.name, s.spec.clusterIP]));

describe('loopback cluster IPs for Services whose ports collide', () => {
  it("keeps the user's Service on the shared address and moves Flagger's generated ones", () => {
    const a = new ClusterIPAllocator();
    // generated Services listed first (as they may be after a restart): the user's still wins
    const out = a.assign([
      svc('podinfo-canary', 9898, { managed: true }),
      svc('podinfo-primary', 9898, { managed: true }),
      svc('podinfo', 9898, { created: '2026-02-01T00:00:00Z' }),
    ]);
    const got = ips(out);
    expect(got.podinfo).toBeUndefined();
    expect(got['podinfo-primary']).toMatch(/^127\.0\.1\.\d+$/);
    expect(got['podinfo-canary']).toMatch(/^127\.0\.1\.\d+$/);
    expect(got['podinfo-primary']).not.toBe(got['podinfo-canary']);
  });

  it('leaves Services on distinct ports alone and honours an explicit loopback clusterIP', () => {
    const out = ips(
      new ClusterIPAllocator().assign([svc('a', 80), svc('b', 81), svc('c', 80, { clusterIP: '127.0.0.9' })]),
    );
    expect(out).toEqual({ a: undefined, b: undefined, c: '127.0.0.9' });
  });

  it('is stable across snapshots: a holder keeps the shared address while it exists', () => {
    const a = new ClusterIPAllocator();
    a.assign([svc('late-user', 80, { managed: true })]);
    const second = ips(a.assign([svc('late-user', 80, { managed: true }), svc('newcomer', 80)]));
    expect(second['late-user']).toBeUndefined();
    expect(second.newcomer).toMatch(/^127\.0\.1\.\d+$/);
    const third = ips(a.assign([svc('newcomer', 80)]));
    expect(third.newcomer).toBe(second.newcomer);
  });
});
