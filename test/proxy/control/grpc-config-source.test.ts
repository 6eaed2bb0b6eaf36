import { status, type StatusObject } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import type { MeshSnapshot } from '../../../engine/mesh/snapshot.js';
import { GrpcConfigSource } from '../../../proxy/control/grpc-config-source.js';
import type { Timers } from '../../../proxy/control/timers.js';
import { startOutboundProxy, type OutboundProxy } from '../../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  httpRoute,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
} from '../support/harness.js';

/** Service `web` on `port` split by an HTTPRoute between `web-v1` and `web-v2`, each with one endpoint */
function mesh(port: number, v1: number[], v2: number[], weights: [number, number]): Omit<MeshSnapshot, 'version'> {
  const web = service('web', port, 'test');
  const s1 = service('web-v1', port, 'test');
  const s2 = service('web-v2', port, 'test');
  return {
    services: [web, s1, s2],
    httpRoutes: [
      httpRoute(
        'web',
        'web',
        [{ backendRefs: [backend('web-v1', port, weights[0]), backend('web-v2', port, weights[1])] }],
        'test',
      ),
    ],
    grpcRoutes: [],
    endpoints: [
      endpoints(web, []),
      endpoints(
        s1,
        v1.map((p) => ({ port: p })),
      ),
      endpoints(
        s2,
        v2.map((p) => ({ port: p })),
      ),
    ],
  };
}

/** resolves with the first snapshot (now or later) that `accept` takes, or fails after `timeoutMs` */
function snapshotWhere(
  source: GrpcConfigSource,
  accept: (s: MeshSnapshot) => boolean,
  timeoutMs = 5_000,
): Promise<MeshSnapshot> {
  if (accept(source.current())) return Promise.resolve(source.current());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching snapshot within ${timeoutMs} ms; last: ${JSON.stringify(source.current())}`));
    }, timeoutMs);
    const stop = source.subscribe((s) => {
      if (!accept(s)) return;
      clearTimeout(timer);
      stop();
      resolve(s);
    });
  });
}

const weightsOf = (s: MeshSnapshot) => s.httpRoutes[0]?.spec.rules[0]?.backendRefs?.map((b) => b.weight);
const portsOf = (s: MeshSnapshot, svc: string) =>
  s.endpoints
    .find((e) => e.service === svc)
    ?.endpoints.map((e) => e.port)
    .sort();

describe('GrpcConfigSource', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function controlPlane(source: ManualConfigSource, port = 0): Promise<ControlPlane> {
    const cp = await startControlPlane({ configSource: source, port });
    cleanup.push(() => cp.close());
    return cp;
  }

  function client(address: string, extra: Partial<ConstructorParameters<typeof GrpcConfigSource>[0]> = {}) {
    const c = new GrpcConfigSource({ address, namespace: 'test', pod: 'client-1', ...extra });
    cleanup.push(() => c.close());
    return c;
  }

  it('assembles the control plane’s snapshot, and follows route changes and endpoint diffs', async () => {
    const port = await freePort();
    const source = new ManualConfigSource(mesh(port, [1001], [2001], [90, 10]));
    const cp = await controlPlane(source);
    const c = client(cp.address);
    await c.ready();

    const first = c.current();
    expect(first.services.map((s) => s.metadata.name)).toEqual(['web', 'web-v1', 'web-v2']);
    expect(weightsOf(first)).toEqual([90, 10]);
    expect(portsOf(first, 'web-v1')).toEqual([1001]);
    expect(first.endpoints.find((e) => e.service === 'web-v1')).toMatchObject({
      namespace: 'test',
      port,
      portName: 'http',
      endpoints: [{ address: '127.0.0.1', port: 1001, ready: true, namespace: 'test' }],
    });

    source.set(mesh(port, [1001], [2001], [0, 100]));
    const routed = await snapshotWhere(c, (s) => weightsOf(s)?.[0] === 0);
    expect(weightsOf(routed)).toEqual([0, 100]);
    expect(routed.version).toBeGreaterThan(first.version);

    source.set(mesh(port, [1002, 1003], [], [0, 100]));
    const moved = await snapshotWhere(
      c,
      (s) => portsOf(s, 'web-v1')?.length === 2 && portsOf(s, 'web-v2')?.length === 0,
    );
    expect(portsOf(moved, 'web-v1')).toEqual([1002, 1003]);
  });

  it('applies a Service added later together with its endpoints, never as an empty Service port', async () => {
    const port = await freePort();
    const source = new ManualConfigSource(mesh(port, [1001], [2001], [1, 1]));
    const cp = await controlPlane(source);
    const c = client(cp.address);
    await c.ready();
    const firstWithExtra: MeshSnapshot[] = [];
    c.subscribe((s) => {
      if (firstWithExtra.length === 0 && s.services.some((svc) => svc.metadata.name === 'extra'))
        firstWithExtra.push(s);
    });
    const base = mesh(port, [1001], [2001], [1, 1]);
    const extra = service('extra', port + 1, 'test');
    source.set({
      ...base,
      services: [...base.services, extra],
      endpoints: [...base.endpoints, endpoints(extra, [{ port: 3001 }, { port: 3002 }])],
    });
    const s = await snapshotWhere(c, (x) => x.services.some((svc) => svc.metadata.name === 'extra'));
    expect(firstWithExtra[0]).toBe(s);
    expect(portsOf(s, 'extra')).toEqual([3001, 3002]);
  });

  it('keeps serving the last configuration while the control plane is down, then reconnects and resyncs a change made meanwhile', async () => {
    const [v1, v2] = [await startEcho('v1'), await startEcho('v2')];
    cleanup.push(
      () => v1.close(),
      () => v2.close(),
    );
    const port = await freePort();
    const source = new ManualConfigSource(mesh(port, [v1.port], [v2.port], [100, 0]));
    let cp = await controlPlane(source);
    const cpPort = cp.port;
    const downs: Array<{ what: string; code: number; retryInMs: number }> = [];
    const c = client(cp.address, {
      onDown: (what: string, reason: StatusObject, retryInMs: number) =>
        downs.push({ what, code: reason.code, retryInMs }),
    });
    await c.ready();
    const proxy: OutboundProxy = await startOutboundProxy({ configSource: c, onError: () => undefined });
    cleanup.push(() => proxy.close({ drainMs: 0 }));
    await proxy.settled();
    const http = new Client();
    cleanup.push(() => http.agent.destroy());
    const servedBy = async (n: number, who: Echo) => {
      for (let i = 0; i < n; i++) {
        const r = await http.send(port, '/');
        expect(r.status).toBe(200);
        expect(r.headers['x-served-by']).toBe(who.name);
      }
    };
    await servedBy(5, v1);

    const versionBefore = c.current().version;
    await cp.close();
    // the change is made while no proxy can hear it
    source.set(mesh(port, [v1.port], [v2.port], [0, 100]));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the client did not notice the control plane was gone')), 5_000);
      const check = setInterval(() => {
        if (downs.some((d) => d.what === 'services')) {
          clearTimeout(t);
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(downs.every((d) => d.code === status.UNAVAILABLE || d.code === status.CANCELLED)).toBe(true);
    expect(downs.every((d) => d.retryInMs >= 100 && d.retryInMs <= 10_000)).toBe(true);
    // still the last configuration, still answering through it
    expect(c.current().version).toBe(versionBefore);
    await servedBy(20, v1);

    cp = await controlPlane(source, cpPort);
    await snapshotWhere(c, (s) => weightsOf(s)?.[0] === 0, 15_000);
    await proxy.settled();
    await servedBy(10, v2);
  });

  it('retries with growing delays from the injected clock and random source until the control plane comes, then is ready', async () => {
    const cpPort = await freePort();
    const pending: Array<{ fn: () => void; ms: number }> = [];
    const timers: Timers = {
      // waits of 0 (coalescing updates) run at once; backoff waits are the test's to fire
      setTimeout: (fn, ms) => (ms === 0 ? setTimeout(fn, 0) : pending.push({ fn, ms })),
      clearTimeout: (h) => (typeof h === 'object' ? clearTimeout(h as NodeJS.Timeout) : undefined),
    };
    const c = client(`127.0.0.1:${cpPort}`, { timers, backoff: { random: () => 0 } });
    const waits: number[] = [];
    const fireNext = async () => {
      const deadline = Date.now() + 5_000;
      while (pending.length === 0) {
        if (Date.now() > deadline) throw new Error('no retry was scheduled');
        await new Promise((r) => setTimeout(r, 5));
      }
      const next = pending.shift()!;
      waits.push(next.ms);
      next.fn();
    };
    for (let i = 0; i < 4; i++) await fireNext();
    expect(waits).toEqual([100, 200, 400, 800]);

    const port = await freePort();
    await controlPlane(new ManualConfigSource(mesh(port, [1001], [2001], [1, 1])), cpPort);
    let ready = false;
    void c.ready().then(() => (ready = true));
    // the channel may still be backing off on its own: keep firing retries until a stream gets through
    const deadline = Date.now() + 10_000;
    while (!ready && Date.now() < deadline) {
      if (pending.length > 0) await fireNext();
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(ready).toBe(true);
    expect(c.current().services).toHaveLength(3);
  });

  it('reports an update that fails the engine’s schema and keeps the configuration in force', async () => {
    const port = await freePort();
    const good = mesh(port, [1001], [2001], [1, 1]);
    const source = new ManualConfigSource(good);
    const cp = await controlPlane(source);
    const rejected: string[][] = [];
    const c = client(cp.address, { onRejected: (errors: string[]) => rejected.push(errors) });
    await c.ready();
    const bad = structuredClone(good);
    (bad.httpRoutes[0]!.spec.rules[0]!.backendRefs![0] as { weight: unknown }).weight = 'ten';
    source.set(bad);
    const deadline = Date.now() + 5_000;
    while (rejected.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(rejected[0]).toEqual([
      'HTTPRoute test/web spec.rules[0].backendRefs[0].weight: expected a number, got "ten"',
    ]);
    expect(weightsOf(c.current())).toEqual([1, 1]);
  });
});
