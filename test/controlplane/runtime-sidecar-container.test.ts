import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { podColumns } from '../../cli/output/columns/pod.js';
import type { KubeObject, Pod } from '../../engine/resources/index.js';
import {
  startRuntime,
  type Sidecar,
  type SidecarContainerStatus,
  type SidecarFactory,
} from '../../controlplane/runtime/index.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { tempDir, waitFor } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'app.mjs');

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'test' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'example/app:1',
            command: ['node'],
            args: ['bin/app.mjs'],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
          },
        ],
      },
    },
  },
};

/** a sidecar "process" the test kills and restarts by hand, reporting its container status as a real one does */
class FakeSidecarProcess {
  up = true;
  restarts = 0;
  private readonly listeners = new Set<(up: boolean) => void>();

  factory(withStatus: boolean): SidecarFactory {
    return async (pod): Promise<Sidecar> => ({
      inboundPort: pod.appPort,
      adminPort: pod.appPort,
      meshed: true,
      onHealth: (l) => void this.listeners.add(l),
      ...(withStatus ? { status: () => this.status() } : {}),
      close: async () => {},
    });
  }

  status(): SidecarContainerStatus {
    return {
      ready: this.up,
      started: this.up,
      restartCount: this.restarts,
      state: this.up ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: { reason: 'CrashLoopBackOff' } },
      ...(this.restarts > 0 || !this.up
        ? { lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: new Date().toISOString() } } }
        : {}),
    };
  }

  kill(): void {
    this.up = false;
    for (const l of this.listeners) l(false);
  }

  restart(): void {
    this.restarts++;
    this.up = true;
    for (const l of this.listeners) l(true);
  }
}

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function run(sidecars: SidecarFactory): Promise<MemoryStore> {
  const t = await tempDir('weir-runtime-sidecar-');
  cleanups.push(t.cleanup);
  await mkdir(join(t.dir, 'bin'));
  await copyFile(FIXTURE, join(t.dir, 'bin', 'app.mjs'));
  const store = new MemoryStore();
  const runtime = await startRuntime({ store, dir: t.dir, sidecars, drainMs: 0, maxGracePeriodSeconds: 2, tickMs: 50 });
  cleanups.push(() => runtime.close());
  await store.apply(deployment);
  return store;
}

const thePod = (store: MemoryStore): Pod | undefined => store.list<Pod>('Pod', 'test')[0];
const isReady = (p: Pod | undefined): boolean =>
  p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
/** READY and RESTARTS of `weir get pods` */
const columns = (p: Pod): [string, string] => {
  const row = podColumns.row(p, { now: Date.now(), wide: false });
  return [row[1]!, row[3]!.replace(/ \(.*\)$/, '')];
};
type Status = { name: string; ready: boolean; restartCount: number; state: Record<string, unknown> };
const statusOf = (p: Pod | undefined, name: string): Status | undefined =>
  (p?.status?.containerStatuses as Status[] | undefined)?.find((s) => s.name === name);

describe('a sidecar process is the Pod’s second container, weir-proxy, as linkerd-proxy in an injected pod', () => {
  it('lists weir-proxy in spec.containers and containerStatuses: READY 2/2, 1/2 while it restarts, RESTARTS counted', async () => {
    const sidecar = new FakeSidecarProcess();
    const store = await run(sidecar.factory(true));
    const pod = await waitFor(() => (isReady(thePod(store)) ? thePod(store) : undefined), 'a ready pod', 15_000);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app', 'weir-proxy']);
    expect(statusOf(pod, 'app')).toMatchObject({ ready: true, restartCount: 0 });
    expect(statusOf(pod, 'weir-proxy')).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
    expect(columns(pod)).toEqual(['2/2', '0']);

    sidecar.kill();
    const down = await waitFor(
      () => (statusOf(thePod(store), 'weir-proxy')?.ready === false ? thePod(store) : undefined),
      'the sidecar container not ready',
      5_000,
    );
    expect(isReady(down)).toBe(false);
    expect(statusOf(down, 'app')?.ready).toBe(true);
    expect(statusOf(down, 'weir-proxy')?.state).toEqual({ waiting: { reason: 'CrashLoopBackOff' } });
    expect(columns(down!)).toEqual(['1/2', '0']);

    sidecar.restart();
    const back = await waitFor(() => (isReady(thePod(store)) ? thePod(store) : undefined), 'ready again', 5_000);
    expect(statusOf(back, 'weir-proxy')).toMatchObject({ ready: true, restartCount: 1 });
    expect(columns(back)).toEqual(['2/2', '1']);
  }, 30_000);

  it('an in-process sidecar is no container of its own: one container, READY 1/1', async () => {
    const store = await run(new FakeSidecarProcess().factory(false));
    const pod = await waitFor(() => (isReady(thePod(store)) ? thePod(store) : undefined), 'a ready pod', 15_000);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(pod.status?.containerStatuses?.map((s) => s.name)).toEqual(['app']);
    expect(columns(pod)).toEqual(['1/1', '0']);
  }, 30_000);
});
