import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import type { MeshSnapshot } from '../../../engine/mesh/snapshot.js';
import { fromTcpAddress } from '../../../proto/address.js';
import type { DestinationClient } from '../../../proto/generated/weir/destination/v1/Destination.js';
import type { Update__Output } from '../../../proto/generated/weir/destination/v1/Update.js';
import { destinationClient } from '../../../proxy/control/clients.js';
import { StreamReader } from '../../support/grpc-stream.js';
import { backend, endpoints, httpRoute, ManualConfigSource, service } from '../../proxy/support/harness.js';

const web = service('web', 8080, 'test');
const other = service('other', 9090, 'test');
const AUTHORITY = 'web.test.svc.cluster.local:8080';

function mesh(ports: number[], weight = 1): Omit<MeshSnapshot, 'version'> {
  return {
    services: [web, other],
    httpRoutes: [
      httpRoute('web', 'web', [{ backendRefs: [backend('web', 8080, weight)] }], 'test'),
      httpRoute('elsewhere', 'other', [{ backendRefs: [backend('other', 9090)] }], 'test'),
    ],
    grpcRoutes: [],
    endpoints: [
      endpoints(
        web,
        ports.map((port) => ({ port, pod: `web-${port}`, deployment: 'web' })),
      ),
    ],
  };
}

const addrs = (u: Update__Output) =>
  (u.add?.addrs ?? u.remove?.addrs.map((addr) => ({ addr })) ?? []).map((a) => {
    const x = fromTcpAddress(a.addr);
    return `${x?.ip}:${x?.port}`;
  });

describe('the Destination API', () => {
  let cp: ControlPlane | undefined;
  let client: DestinationClient | undefined;
  afterEach(async () => {
    client?.close();
    await cp?.close();
  });

  async function start(source: ManualConfigSource, queueCapacity?: number): Promise<DestinationClient> {
    cp = await startControlPlane({ configSource: source, ...(queueCapacity ? { queueCapacity } : {}) });
    client = destinationClient(cp.address);
    return client;
  }

  it('sends the route policy and the whole endpoint set first, then endpoint diffs and route changes', async () => {
    const source = new ManualConfigSource(mesh([1001, 1002]));
    const c = await start(source);
    const stream = new StreamReader(c.Get({ scheme: 'k8s', path: AUTHORITY, contextToken: '{"ns":"test"}' }));

    const policy = await stream.next();
    expect(policy.update).toBe('routePolicy');
    const routes = policy.routePolicy!.httpRoutes.map((r) => JSON.parse(Buffer.from(r.json).toString()));
    expect(routes.map((r) => r.metadata.name)).toEqual(['web']);
    const first = await stream.next();
    expect(first.update).toBe('add');
    expect(addrs(first)).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);
    expect(first.add!.addrs[0]).toMatchObject({
      weight: 10000,
      metricLabels: { pod: 'web-1001', deployment: 'web', namespace: 'test' },
      tlsIdentity: null,
    });
    expect(first.add!.metricLabels).toEqual({ namespace: 'test', service: 'web', port: '8080', port_name: 'http' });

    // one endpoint goes, another comes: a remove and an add, nothing else
    source.set(mesh([1002, 1003]));
    const removed = await stream.next();
    expect(removed.update).toBe('remove');
    expect(addrs(removed)).toEqual(['127.0.0.1:1001']);
    const added = await stream.next();
    expect(added.update).toBe('add');
    expect(addrs(added)).toEqual(['127.0.0.1:1003']);

    // a route change: the new policy only
    source.set(mesh([1002, 1003], 7));
    const changed = await stream.next();
    expect(changed.update).toBe('routePolicy');
    const route = JSON.parse(Buffer.from(changed.routePolicy!.httpRoutes[0]!.json).toString());
    expect(route.spec.rules[0].backendRefs[0].weight).toBe(7);

    // every endpoint gone: no_endpoints, the Service still exists
    source.set(mesh([], 7));
    expect((await stream.next()).noEndpoints).toEqual({ exists: true });
    expect(stream.buffered).toBe(0);
  });

  it('gives a stream that joins later the whole current state, while streams already open get only the change', async () => {
    const source = new ManualConfigSource(mesh([1001]));
    const c = await start(source);
    const open = () => new StreamReader(c.Get({ scheme: 'k8s', path: AUTHORITY, contextToken: '' }));
    const early = open();
    expect((await early.next()).update).toBe('routePolicy');
    expect(addrs(await early.next())).toEqual(['127.0.0.1:1001']);

    source.set(mesh([1001, 1002], 3));
    const late = open();
    const policy = await late.next();
    expect(
      JSON.parse(Buffer.from(policy.routePolicy!.httpRoutes[0]!.json).toString()).spec.rules[0].backendRefs[0].weight,
    ).toBe(3);
    expect(addrs(await late.next())).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);

    expect((await early.next()).update).toBe('routePolicy');
    const added = await early.next();
    expect(added.update).toBe('add');
    expect(addrs(added)).toEqual(['127.0.0.1:1002']);

    // both hear of the next change, once each
    source.set(mesh([1002], 3));
    for (const s of [early, late]) {
      const removed = await s.next();
      expect(removed.update).toBe('remove');
      expect(addrs(removed)).toEqual(['127.0.0.1:1001']);
    }
    late.call.cancel();
    source.set(mesh([1002], 4));
    expect((await early.next()).update).toBe('routePolicy');
    expect(early.buffered).toBe(0);
    early.call.cancel();
  });

  it('carries an endpoint identity as tls_identity and leaves not-ready endpoints out', async () => {
    const snapshot = mesh([1001]);
    snapshot.endpoints[0]!.endpoints.push(
      {
        address: '127.0.0.1',
        port: 1002,
        ready: true,
        identity: 'default.test.serviceaccount.identity.weir.cluster.local',
      },
      { address: '127.0.0.1', port: 1003, ready: false },
    );
    const c = await start(new ManualConfigSource(snapshot));
    const stream = new StreamReader(c.Get({ scheme: 'k8s', path: AUTHORITY, contextToken: '' }));
    await stream.next();
    const set = await stream.next();
    expect(addrs(set)).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);
    expect(set.add!.addrs[1]!.tlsIdentity?.dnsLikeIdentity?.name).toBe(
      'default.test.serviceaccount.identity.weir.cluster.local',
    );
  });

  it('answers an authority that is no Service port with no_endpoints{exists: false}, and a malformed one with INVALID_ARGUMENT', async () => {
    const c = await start(new ManualConfigSource(mesh([1001])));
    const missing = new StreamReader(
      c.Get({ scheme: 'k8s', path: 'nope.test.svc.cluster.local:80', contextToken: '' }),
    );
    expect((await missing.next()).routePolicy).toEqual({ httpRoutes: [], grpcRoutes: [] });
    expect((await missing.next()).noEndpoints).toEqual({ exists: false });
    missing.call.cancel();

    const bad = new StreamReader(c.Get({ scheme: 'k8s', path: 'web:8080', contextToken: '' }));
    const end = await bad.ended();
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toContain('path: expected a Service authority');
  });

  it('sends the whole Services list first, then again only when it changes', async () => {
    const source = new ManualConfigSource(mesh([1001]));
    const c = await start(source);
    const stream = new StreamReader(c.WatchServices({ contextToken: '' }));
    const first = await stream.next();
    expect(first.services.map((s) => `${s.kind} ${s.namespace}/${s.name}`)).toEqual([
      'Service test/web',
      'Service test/other',
    ]);
    expect(JSON.parse(Buffer.from(first.services[0]!.json).toString()).spec.ports[0].port).toBe(8080);

    source.set(mesh([1001, 1002])); // endpoints only: no message
    source.set({ ...mesh([1001, 1002]), services: [web] });
    const next = await stream.next();
    expect(next.services.map((s) => s.name)).toEqual(['web']);
    expect(stream.buffered).toBe(0);
  });

  it('closes the stream of a client that does not read once its queue overflows, and only that one', async () => {
    const source = new ManualConfigSource(mesh([1001]));
    const overflowed: string[] = [];
    cp = await startControlPlane({
      configSource: source,
      queueCapacity: 5,
      onOverflow: (rpc, what) => overflowed.push(`${rpc} ${what}`),
    });
    client = destinationClient(cp.address);
    const slow = new StreamReader(client.Get({ scheme: 'k8s', path: AUTHORITY, contextToken: '' }));
    const healthy = new StreamReader(client.Get({ scheme: 'k8s', path: AUTHORITY, contextToken: '' }));
    await slow.next();
    await healthy.next();
    await healthy.next();
    slow.call.pause();

    // large route changes until the paused client's HTTP/2 window, grpc-js' buffer and its queue are full
    const big = 'x'.repeat(16_000);
    let weight = 1;
    const change = () => {
      weight++;
      const m = mesh([1001], weight);
      m.httpRoutes[0]!.metadata.annotations = { padding: big };
      source.set(m);
    };
    for (let i = 0; i < 200 && overflowed.length === 0; i++) {
      change();
      const u = await healthy.next();
      expect(u.update).toBe('routePolicy');
    }
    expect(overflowed).toEqual([`Destination.Get ${AUTHORITY}`]);

    // the healthy stream goes on
    change();
    expect((await healthy.next()).update).toBe('routePolicy');
    // the slow one ends with RESOURCE_EXHAUSTED once it reads again
    slow.call.resume();
    const end = await slow.ended(10_000);
    expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(end.details).toContain('update queue overflow');
  });
});
