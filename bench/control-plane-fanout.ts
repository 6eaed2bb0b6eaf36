/**
 * Control-plane fan-out: how long a route change applied in the store takes to reach every proxy.
 *
 * The parent process holds a MemoryStore, discovery over it (`createDiscovery`, as `weir up`), and the
 * control plane's gRPC API on 127.0.0.1:0. Worker processes (`--workers`, default 4) run the proxies'
 * control-plane clients: `--clients` (default 200) `GrpcConfigSource` instances in all, each with its
 * own channel (one HTTP/2 connection, as one sidecar), each watching the Services list and one
 * Destination stream per Service port (`--services`, default 10). Once every client is ready, the
 * parent changes the weights of the HTTPRoute attached to Service `svc-0` in the store (`--rounds`
 * times, default 5) and each client reports when a snapshot carrying the new weights reaches its
 * subscribers. Latency = that instant minus the instant of `store.apply` (one clock:
 * `performance.timeOrigin + performance.now()`, the same machine). Prints p50, p99 and max per round
 * and over all rounds, and whether p99 <= 100 ms.
 *
 * usage: npx tsx bench/control-plane-fanout.ts [--clients 200] [--workers 4] [--services 10] [--rounds 5] [--profile DIR]
 * `--profile DIR` writes a CPU profile of the rounds only (not the start-up) of the parent
 * (`control-plane.cpuprofile`) and of each worker (`clients-N.cpuprofile`) into DIR
 * (`node bench/.build/bench/tools.js profile-top FILE` summarizes one).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../controlplane/grpc/server.js';
import { createDiscovery } from '../controlplane/discovery/index.js';
import { MemoryStore } from '../controlplane/store/memory-store.js';
import type { KubeObject } from '../engine/resources/index.js';
import { GrpcConfigSource } from '../proxy/control/grpc-config-source.js';

const NS = 'bench';
const now = () => performance.timeOrigin + performance.now();

type ToWorker =
  | { address: string; clients: number; first: number }
  | { stop: true }
  | { cpu: true }
  | { profile: 'start' }
  | { profile: 'stop'; file: string };
type FromWorker =
  | { ready: number }
  | { seen: Array<{ saw: number; client: number; at: number }> }
  | { cpuMicros: number }
  | { profiled: 'start' | 'stop' };

/** a CPU profile of a window of this process (the inspector's sampling profiler) */
class WindowProfiler {
  private readonly session = new Session();
  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
  }
  async stop(file: string): Promise<void> {
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    this.session.disconnect();
  }
}

function routeFor(i: number, weight: number): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `svc-${i}`, namespace: NS },
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: `svc-${i}`, port: 8000 + i }],
      rules: [{ backendRefs: [{ name: `svc-${i}`, port: 8000 + i, weight }] }],
    },
  } as unknown as KubeObject;
}

function meshObjects(services: number): KubeObject[] {
  const out: unknown[] = [];
  for (let i = 0; i < services; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: NS },
      spec: { ports: [{ name: 'http', port: 8000 + i }] },
    });
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `svc-${i}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 9000 + i }],
      endpoints: [{ addresses: ['127.0.0.1'] }, { addresses: ['127.0.0.2'] }, { addresses: ['127.0.0.3'] }],
    });
    out.push(routeFor(i, 1));
  }
  return out as KubeObject[];
}

/** the weight of the first backend of route `svc-0` in a snapshot */
function markerOf(s: ReturnType<GrpcConfigSource['current']>): number | undefined {
  return s.httpRoutes.find((r) => r.metadata.name === 'svc-0')?.spec.rules[0]?.backendRefs?.[0]?.weight;
}

async function worker(): Promise<void> {
  const clients: GrpcConfigSource[] = [];
  // the instants are taken as each client sees the change; they go to the parent in one IPC message
  // per turn of the event loop, so that reporting costs the shared CPU little while clients still work
  let batch: Array<{ saw: number; client: number; at: number }> = [];
  const report = (seen: { saw: number; client: number; at: number }) => {
    if (batch.length === 0)
      setImmediate(() => {
        process.send!({ seen: batch } satisfies FromWorker);
        batch = [];
      });
    batch.push(seen);
  };
  let profiler: WindowProfiler | undefined;
  process.on('message', (m: ToWorker) => {
    if ('profile' in m) {
      void (async () => {
        if (m.profile === 'start') await (profiler = new WindowProfiler()).start();
        else await profiler?.stop(m.file);
        process.send!({ profiled: m.profile } satisfies FromWorker);
      })();
      return;
    }
    if ('stop' in m) {
      for (const c of clients) c.close();
      process.exit(0);
    }
    if ('cpu' in m) {
      const u = process.cpuUsage();
      process.send!({ cpuMicros: u.user + u.system } satisfies FromWorker);
      return;
    }
    void (async () => {
      for (let k = 0; k < m.clients; k++) {
        const id = m.first + k;
        const c = new GrpcConfigSource({ address: m.address, namespace: NS, pod: `client-${id}` });
        let last = markerOf(c.current());
        c.subscribe((s) => {
          const marker = markerOf(s);
          if (marker !== undefined && marker !== last) {
            last = marker;
            report({ saw: marker, client: id, at: now() });
          }
        });
        clients.push(c);
      }
      await Promise.all(clients.map((c) => c.ready()));
      process.send!({ ready: clients.length } satisfies FromWorker);
    })();
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '200' },
      workers: { type: 'string', default: '4' },
      services: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '5' },
      profile: { type: 'string' },
    },
  });
  const total = Number(values.clients);
  const workers = Math.max(1, Math.min(Number(values.workers), total));
  const services = Number(values.services);
  const rounds = Number(values.rounds);

  const store = new MemoryStore();
  for (const o of meshObjects(services)) await store.apply(o);
  const discovery = createDiscovery(store);
  // when discovery turned the store change into a snapshot (its 5 ms debounce included), before the
  // control plane's streams hear of it
  let snapshotAt = 0;
  // and when the control plane had handed it to every stream (its listeners run right after this one)
  let fannedOutAt = 0;
  discovery.subscribe(() => {
    snapshotAt = now();
    setImmediate(() => (fannedOutAt = now()));
  });
  const cp = await startControlPlane({ configSource: discovery });
  console.log(
    `control plane on ${cp.address}: ${services} Services (one port each), ${total} clients in ${workers} workers`,
  );

  const children: ChildProcess[] = [];
  const seen = new Map<number, Array<{ client: number; at: number }>>();
  let ready = 0;
  let profiled = 0;
  /** CPU time of the workers, as they answer `{ cpu: true }` */
  const cpu: number[] = [];
  const waiters: Array<() => void> = [];
  const poke = () => {
    for (const w of waiters.splice(0)) w();
  };
  const startedAt = now();
  for (let w = 0; w < workers; w++) {
    const n = Math.floor(total / workers) + (w < total % workers ? 1 : 0);
    const first = children.reduce((acc, _c, i) => acc + Math.floor(total / workers) + (i < total % workers ? 1 : 0), 0);
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: FromWorker) => {
      if ('ready' in m) ready += m.ready;
      else if ('profiled' in m) profiled++;
      else if ('cpuMicros' in m) cpu.push(m.cpuMicros);
      else
        for (const s of m.seen) {
          const list = seen.get(s.saw) ?? [];
          list.push({ client: s.client, at: s.at });
          seen.set(s.saw, list);
        }
      poke();
    });
    child.send({ address: cp.address, clients: n, first } satisfies ToWorker);
    children.push(child);
  }
  const until = (cond: () => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out (${ms} ms) waiting for ${what}`)), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  await until(() => ready === total, 120_000, `${total} clients to be ready`);
  console.log(`${total} clients ready in ${Math.round(now() - startedAt)} ms`);

  const workersCpu = async (): Promise<number> => {
    cpu.length = 0;
    for (const c of children) c.send({ cpu: true } satisfies ToWorker);
    await until(() => cpu.length === children.length, 10_000, 'the workers’ CPU time');
    return cpu.reduce((a, b) => a + b, 0);
  };
  const profileDir = values.profile;
  const ownProfiler = new WindowProfiler();
  if (profileDir !== undefined) {
    profiled = 0;
    for (const c of children) c.send({ profile: 'start' } satisfies ToWorker);
    await until(() => profiled === children.length, 10_000, 'the workers’ profilers');
    await ownProfiler.start();
  }
  const all: number[] = [];
  let serverCpu = 0;
  let clientCpu = 0;
  console.log(
    '\n| round | clients | store -> snapshot ms | server fan-out ms | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (let r = 1; r <= rounds; r++) {
    const marker = 100 + r;
    const cpuBefore = await workersCpu();
    const own = process.cpuUsage();
    const t0 = now();
    await store.apply(routeFor(0, marker));
    await until(() => (seen.get(marker)?.length ?? 0) === total, 30_000, `round ${r} to reach every client`);
    const ownAfter = process.cpuUsage(own);
    serverCpu += ownAfter.user + ownAfter.system;
    clientCpu += (await workersCpu()) - cpuBefore;
    const lat = seen
      .get(marker)!
      .map((s) => s.at - t0)
      .sort((a, b) => a - b);
    all.push(...lat);
    console.log(
      `| ${r} | ${lat.length} | ${(snapshotAt - t0).toFixed(1)} | ${(fannedOutAt - snapshotAt).toFixed(1)} | ${quantile(lat, 0.5).toFixed(1)} | ${quantile(lat, 0.99).toFixed(1)} | ${lat[lat.length - 1]!.toFixed(1)} |`,
    );
    // let the system settle between rounds
    await new Promise((res) => setTimeout(res, 300));
  }
  if (profileDir !== undefined) {
    await ownProfiler.stop(join(profileDir, 'control-plane.cpuprofile'));
    profiled = 0;
    children.forEach((c, i) =>
      c.send({ profile: 'stop', file: join(profileDir, `clients-${i + 1}.cpuprofile`) } satisfies ToWorker),
    );
    await until(() => profiled === children.length, 30_000, 'the workers’ profiles');
    console.log(`\nCPU profiles of the rounds in ${profileDir}`);
  }
  all.sort((a, b) => a - b);
  const p50 = quantile(all, 0.5);
  const p99 = quantile(all, 0.99);
  console.log(
    `| all | ${all.length} | | | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${all[all.length - 1]!.toFixed(1)} |`,
  );
  console.log(
    `\nCPU per change: control plane (store, discovery, gRPC server, in the parent) ${(serverCpu / rounds / 1000).toFixed(1)} ms; ` +
      `each client ${(clientCpu / rounds / total / 1000).toFixed(2)} ms (${(clientCpu / rounds / 1000).toFixed(0)} ms for all ${total})`,
  );
  console.log(`goal p99 <= 100 ms: ${p99 <= 100 ? 'met' : 'NOT met'} (p99 ${p99.toFixed(1)} ms)`);

  for (const c of children) c.send({ stop: true } satisfies ToWorker);
  await Promise.all(children.map((c) => new Promise((res) => (c.exitCode !== null ? res(null) : c.once('exit', res)))));
  await cp.close();
  discovery.close();
}

if (process.argv.includes('--worker')) void worker();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
