import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANNOTATION_ADMIN_PORT,
  ANNOTATION_APP_PORT,
  ANNOTATION_INBOUND_PORT,
  type ConfigMap,
  type Deployment,
  type KubeObject,
  type Pod,
} from '../../engine/resources/index.js';
import { endpointsKey } from '../../engine/mesh/snapshot.js';
import { createDiscovery, type StoreConfigSource } from '../../controlplane/discovery/index.js';
import { startRuntime, type SidecarFactory } from '../../controlplane/runtime/index.js';
import { ephemeralPortRange } from '../../controlplane/runtime/net.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { LocalStore } from '../../controlplane/store/local-store.js';
import { sleep, tempDir, waitFor } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'app.mjs');

interface DeploymentOpts {
  replicas?: number;
  env?: Record<string, string>;
  probe?: object;
  args?: string[];
  workingDir?: string;
  progressDeadlineSeconds?: number;
  grace?: number;
  ports?: object[];
}

function deployment(name: string, o: DeploymentOpts = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'test' },
    spec: {
      replicas: o.replicas ?? 1,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(o.grace !== undefined ? { terminationGracePeriodSeconds: o.grace } : {}),
          containers: [
            {
              name: 'app',
              image: 'example/app:1',
              command: ['node'],
              args: o.args ?? ['bin/app.mjs'],
              ...(o.workingDir ? { workingDir: o.workingDir } : {}),
              env: Object.entries(o.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
              ports: o.ports ?? [{ name: 'http', containerPort: 8080 }],
              ...(o.probe ? { readinessProbe: o.probe } : {}),
            },
          ],
        },
      },
    },
  };
}

function get(
  port: number,
  path = '/',
  timeoutMs = 5000,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** a stand-in sidecar: a TCP forwarder from its own port to the app */
function fakeSidecars(closed: string[]): SidecarFactory {
  return async (pod) => {
    const sockets = new Set<Socket>();
    const srv = createServer((c) => {
      sockets.add(c);
      const up = connect(pod.appPort, '127.0.0.1');
      c.pipe(up).pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
      c.on('close', () => sockets.delete(c));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const addr = srv.address();
    const inboundPort = typeof addr === 'object' && addr ? addr.port : 0;
    return {
      inboundPort,
      adminPort: inboundPort + 0, // a fake has no admin server; any number shows it is passed through
      close: async () => {
        closed.push(pod.name);
        for (const s of sockets) s.destroy();
        await new Promise((r) => srv.close(r));
      },
    };
  };
}

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(opts: { sidecars?: SidecarFactory; drainMs?: number; maxGracePeriodSeconds?: number } = {}) {
  const t = await tempDir('weir-runtime-');
  cleanups.push(t.cleanup);
  await mkdir(join(t.dir, 'bin'));
  await copyFile(FIXTURE, join(t.dir, 'bin', 'app.mjs'));
  const store = new MemoryStore();
  const runtime = await startRuntime({
    store,
    dir: t.dir,
    sidecars: opts.sidecars,
    drainMs: opts.drainMs ?? 200,
    maxGracePeriodSeconds: opts.maxGracePeriodSeconds ?? 5,
    backoff: { initialMs: 200, maxMs: 400 },
    tickMs: 50,
  });
  cleanups.push(() => runtime.close());
  return { dir: t.dir, store, runtime };
}

const pods = (store: MemoryStore, app: string) =>
  store.list<Pod>('Pod', 'test').filter((p) => p.metadata.labels?.app === app);
const readyPods = (store: MemoryStore, app: string) =>
  pods(store, app).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
const condition = (d: Deployment | undefined, type: string) =>
  (d?.status?.conditions as { type: string; status: string; reason?: string }[] | undefined)?.find(
    (c) => c.type === type,
  );

/** a Pod's `containerStatuses[]` entry as the runtime writes it (the schema keeps only what Weir reads) */
type ContainerState = { state?: { waiting?: { reason: string; message: string } } };

describe('local runtime', () => {
  it('starts replicas with their own PORT, probes readiness and writes Pods and Deployment status', async () => {
    const closed: string[] = [];
    const { dir, store, runtime } = await setup({ sidecars: fakeSidecars(closed) });
    await mkdir(join(dir, 'work'));
    await store.apply(
      deployment('web', {
        replicas: 2,
        args: ['../bin/app.mjs', '--port=$(PORT)'],
        workingDir: 'work',
        env: { VERSION: 'v1', GREETING: 'hi from $(POD_NAMESPACE)' },
        probe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
      }),
    );
    await waitFor(() => readyPods(store, 'web').length === 2, 'two ready pods', 10_000);

    const list = pods(store, 'web');
    const ports = new Set<number>();
    for (const p of list) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}$/);
      const hash = p.metadata.labels?.['pod-template-hash'];
      expect(p.metadata.name.startsWith(`web-${hash}-`)).toBe(true);
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.podIP).toBe('127.0.0.1');
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 });
      const a = p.metadata.annotations!;
      const appPort = Number(a[ANNOTATION_APP_PORT]);
      const inbound = Number(a[ANNOTATION_INBOUND_PORT]);
      expect(inbound).not.toBe(appPort);
      // outside the ports outgoing connections take (net.ts podPort): no client can hold it before the app binds it
      const [lo, hi] = ephemeralPortRange();
      expect(appPort < lo || appPort > hi, `app port ${appPort} inside the ephemeral range ${lo}-${hi}`).toBe(true);
      expect(Number(a[ANNOTATION_ADMIN_PORT])).toBe(inbound);
      ports.add(appPort);
      // through the sidecar to the app, which got its port, env, working dir and expanded args
      const res = await get(inbound, '/env');
      expect(res.status).toBe(200);
      const env = JSON.parse(res.body) as { PORT: string; GREETING: string; cwd: string; argv: string[] };
      expect(env.PORT).toBe(String(appPort));
      expect(env.GREETING).toBe('hi from test');
      expect(env.cwd).toBe(join(dir, 'work'));
      expect(env.argv).toEqual([`--port=${appPort}`]);
    }
    expect(ports.size).toBe(2);

    await waitFor(
      () => store.get<Deployment>('Deployment', 'test', 'web')?.status?.readyReplicas === 2,
      'the deployment status',
      5000,
    );
    const d = store.get<Deployment>('Deployment', 'test', 'web')!;
    expect(d.status).toMatchObject({
      observedGeneration: d.metadata.generation,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 0,
    });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });

    const first = list[0]!.metadata.name;
    const log = await readFile(runtime.logFile('test', first), 'utf8');
    expect(log).toMatch(/listening on \d+/);

    await runtime.close();
    expect(closed.sort()).toEqual(list.map((p) => p.metadata.name).sort());
    expect(store.list('Pod')).toEqual([]);
  });

  it('restarts a crashing process with back-off and counts restarts', async () => {
    const { store, runtime } = await setup();
    await store.apply(deployment('crashy', { env: { EXIT_AFTER_MS: '300' } }));
    const pod = await waitFor(
      () => pods(store, 'crashy').find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2),
      'two restarts',
      10_000,
    );
    expect(pod.status?.phase).toBe('Running');
    // the same Pod restarts in place: no new Pod was created
    expect(pods(store, 'crashy')).toHaveLength(1);
    const last = (pod.status?.containerStatuses?.[0] as { lastState?: { terminated?: { exitCode: number } } })
      .lastState;
    expect(last?.terminated?.exitCode).toBe(3);
    expect(runtime.pods()[0]?.restartCount).toBeGreaterThanOrEqual(2);
    const log = await readFile(runtime.logFile('test', pod.metadata.name), 'utf8');
    expect(log).toContain('exited with code 3');
  });

  it.each([1, 2])(
    'rolls out a new template of %i replica(s) without failing a request and without dropping below the replica count',
    async (replicas) => {
      const closed: string[] = [];
      const { store } = await setup({ sidecars: fakeSidecars(closed), drainMs: 300 });
      await store.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'test' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
      });
      await store.apply(deployment('web', { replicas, env: { VERSION: '1' } }));
      const discovery: StoreConfigSource = createDiscovery(store);
      cleanups.push(() => discovery.close());
      const readyEndpoints = () =>
        discovery
          .current()
          .endpoints.find((e) => endpointsKey(e.namespace, e.service, e.port) === 'test/web:80')
          ?.endpoints.filter((e) => e.ready) ?? [];
      await waitFor(() => readyEndpoints().length === replicas, 'the ready endpoints', 10_000);

      let minReady = Infinity;
      const unsubscribe = discovery.subscribe(() => (minReady = Math.min(minReady, readyEndpoints().length)));
      cleanups.push(unsubscribe);
      const versions: string[] = [];
      const failures: string[] = [];
      let polling = true;
      let n = 0;
      const client = (async () => {
        while (polling) {
          const eps = readyEndpoints();
          const ep = eps[n++ % Math.max(1, eps.length)];
          if (!ep) {
            failures.push('no ready endpoint');
          } else {
            try {
              const res = await get(ep.port, '/');
              if (res.status !== 200) failures.push(`status ${res.status}`);
              else versions.push(String(res.headers['x-version']));
            } catch (err) {
              failures.push(String(err));
            }
          }
          await sleep(5);
        }
      })();

      const d = store.get<Deployment>('Deployment', 'test', 'web')!;
      const oldHash = pods(store, 'web')[0]!.metadata.labels!['pod-template-hash'];
      const next = structuredClone(d);
      next.spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: '2' }];
      await store.apply(next);

      await waitFor(
        () => {
          const ps = pods(store, 'web');
          return (
            ps.length === replicas &&
            ps.every((p) => p.metadata.labels!['pod-template-hash'] !== oldHash) &&
            readyPods(store, 'web').length === replicas
          );
        },
        'the rollout to finish',
        15_000,
      );
      await waitFor(() => versions.slice(-4).every((v) => v === '2'), 'the new version to answer', 5000);
      polling = false;
      await client;

      expect(failures).toEqual([]);
      expect(versions).toContain('1');
      expect(minReady).toBeGreaterThanOrEqual(replicas);
      expect(closed).toHaveLength(replicas); // the old sidecars were closed with their pods
      const status = store.get<Deployment>('Deployment', 'test', 'web')!.status!;
      expect(status).toMatchObject({ replicas, updatedReplicas: replicas, readyReplicas: replicas });
    },
  );

  it('scales to zero and back, and stops the pods of a deleted Deployment', async () => {
    const { store, runtime } = await setup();
    await store.apply(deployment('web', { replicas: 2 }));
    await waitFor(() => readyPods(store, 'web').length === 2, 'two ready pods', 10_000);
    const pids = runtime.pods().map((p) => p.pid!);
    expect(pids.every(alive)).toBe(true);

    const d = store.get<Deployment>('Deployment', 'test', 'web')!;
    await store.apply({ ...d, spec: { ...d.spec, replicas: 0 } });
    await waitFor(() => pods(store, 'web').length === 0, 'the pods to be removed', 10_000);
    await waitFor(() => pids.every((p) => !alive(p)), 'the processes to exit', 5000);
    await waitFor(
      () => store.get<Deployment>('Deployment', 'test', 'web')?.status?.replicas === 0,
      'status replicas 0',
      5000,
    );
    expect(condition(store.get<Deployment>('Deployment', 'test', 'web'), 'Available')?.status).toBe('True');

    await store.apply({ ...d, spec: { ...d.spec, replicas: 3 } });
    await waitFor(() => readyPods(store, 'web').length === 3, 'three ready pods', 10_000);

    await store.delete('Deployment', 'test', 'web');
    await waitFor(() => pods(store, 'web').length === 0 && runtime.pods().length === 0, 'all stopped', 10_000);
  });

  it('env from a ConfigMap waits for it (CreateContainerConfigError), then starts with its value', async () => {
    const { store } = await setup({ sidecars: fakeSidecars([]) });
    const d = deployment('configured') as Deployment;
    d.spec.template.spec.containers[0]!.env = [
      { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greetings', key: 'hello' } } },
    ];
    await store.apply(d);
    const waiting = await waitFor(
      () =>
        (pods(store, 'configured')[0]?.status?.containerStatuses?.[0] as ContainerState | undefined)?.state?.waiting,
      'the pod to wait for its ConfigMap',
      10_000,
    );
    expect(waiting.reason).toBe('CreateContainerConfigError');
    expect(waiting.message).toContain('configmap "greetings" not found (env GREETING)');

    const greetings: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'greetings', namespace: 'test' },
      data: { hello: 'hi from a ConfigMap' },
    };
    await store.apply(greetings);
    await waitFor(() => readyPods(store, 'configured').length === 1, 'the pod to start', 10_000);
    const inbound = Number(readyPods(store, 'configured')[0]!.metadata.annotations![ANNOTATION_INBOUND_PORT]);
    const env = JSON.parse((await get(inbound, '/env')).body) as { GREETING: string };
    expect(env.GREETING).toBe('hi from a ConfigMap');
  });

  it('replaces a Pod deleted through the store', async () => {
    const { store, runtime } = await setup();
    await store.apply(deployment('web'));
    await waitFor(() => readyPods(store, 'web').length === 1, 'a ready pod', 10_000);
    const [first] = runtime.pods();
    await store.delete('Pod', 'test', first!.name);
    await waitFor(
      () => readyPods(store, 'web').length === 1 && readyPods(store, 'web')[0]!.metadata.name !== first!.name,
      'a replacement pod',
      10_000,
    );
    await waitFor(() => !alive(first!.pid!), 'the deleted pod to stop', 5000);
    expect(runtime.pods()).toHaveLength(1);
  });

  it('keeps an old pod whose probe fails during a rollout until a new pod is ready (maxUnavailable 0): it serves again when its probe passes', async () => {
    const { dir, store } = await setup();
    const unready = join(dir, 'old-pod-unready');
    const probe = { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 };
    await store.apply(deployment('web', { env: { VERSION: '1', READY_FILE: unready }, probe }));
    await waitFor(() => readyPods(store, 'web').length === 1, 'the v1 pod ready', 10_000);
    const oldPod = pods(store, 'web')[0]!.metadata.name;
    // v2's pod never becomes ready; then v1's probe fails for a while (a loaded machine) and passes again
    await store.apply(deployment('web', { env: { VERSION: '2', READY: 'false' }, probe }));
    await waitFor(() => pods(store, 'web').length === 2, 'the surge pod', 10_000);
    const terminated: string[] = [];
    const stopWatch = store.watch((e) => {
      const meta = e.object.metadata as { deletionTimestamp?: string };
      if (
        e.object.kind === 'Pod' &&
        e.object.metadata.name === oldPod &&
        (e.type === 'DELETED' || meta.deletionTimestamp)
      )
        terminated.push(e.type);
    });
    cleanups.push(stopWatch);
    await writeFile(unready, '');
    await waitFor(() => readyPods(store, 'web').length === 0, 'the v1 pod not ready', 10_000);
    await rm(unready);
    await waitFor(
      () => readyPods(store, 'web').some((p) => p.metadata.name === oldPod),
      'the v1 pod ready again',
      10_000,
    );
    expect(terminated).toEqual([]);
    const d = store.get<Deployment>('Deployment', 'test', 'web')!;
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 1, readyReplicas: 1 });
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    const { store } = await setup();
    await store.apply(
      deployment('stuck', {
        env: { READY: 'false' },
        progressDeadlineSeconds: 1,
        probe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
      }),
    );
    await waitFor(
      () => condition(store.get<Deployment>('Deployment', 'test', 'stuck'), 'Progressing')?.status === 'False',
      'the progress deadline',
      8000,
    );
    const d = store.get<Deployment>('Deployment', 'test', 'stuck')!;
    expect(condition(d, 'Progressing')).toMatchObject({ reason: 'ProgressDeadlineExceeded' });
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d.status).toMatchObject({ replicas: 1, updatedReplicas: 1, readyReplicas: 0, unavailableReplicas: 1 });
    // the process runs, it is just not ready
    expect(pods(store, 'stuck')[0]?.status?.phase).toBe('Running');
  });

  it('drains an in-flight request before stopping a pod', async () => {
    const { store, runtime } = await setup({ drainMs: 300 });
    await store.apply(deployment('web'));
    await waitFor(() => readyPods(store, 'web').length === 1, 'a ready pod', 10_000);
    const [pod] = runtime.pods();
    const inFlight = get(pod!.appPort!, '/delay/1200');
    await sleep(100);

    const d = store.get<Deployment>('Deployment', 'test', 'web')!;
    await store.apply({ ...d, spec: { ...d.spec, replicas: 0 } });
    // marked not ready at once, so discovery stops sending it new requests
    await waitFor(
      () => pods(store, 'web').length === 1 && readyPods(store, 'web').length === 0,
      'the pod to be marked not ready',
      2000,
    );
    expect(alive(pod!.pid!)).toBe(true);

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ delayed: 1200 });
    await waitFor(() => !alive(pod!.pid!) && pods(store, 'web').length === 0, 'the pod to stop', 5000);
    const log = await readFile(runtime.logFile('test', pod!.name), 'utf8');
    expect(log).toContain('SIGTERM: draining');
  });

  it('kills a process that ignores SIGTERM after the (capped) grace period, and on close', async () => {
    const { store, runtime } = await setup({ maxGracePeriodSeconds: 1 });
    await store.apply(deployment('stubborn', { env: { IGNORE_SIGTERM: '1' }, grace: 30, replicas: 2 }));
    await waitFor(() => readyPods(store, 'stubborn').length === 2, 'two ready pods', 10_000);
    const pids = runtime.pods().map((p) => p.pid!);
    const started = Date.now();
    await runtime.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(pids.some(alive)).toBe(false);
    expect(store.list('Pod')).toEqual([]);
  });

  it('keeps runtime Pods out of the local store state directory', async () => {
    const t = await tempDir('weir-runtime-local-');
    cleanups.push(t.cleanup);
    await mkdir(join(t.dir, 'bin'));
    await copyFile(FIXTURE, join(t.dir, 'bin', 'app.mjs'));
    await writeFile(join(t.dir, 'web.yaml'), stringify(deployment('web')));
    const store = await LocalStore.open({ dir: t.dir, watch: false });
    cleanups.push(() => store.close());
    const runtime = await startRuntime({ store, dir: t.dir, stateDir: store.stateDir, tickMs: 50, drainMs: 0 });
    cleanups.push(() => runtime.close());
    await waitFor(() => store.list<Pod>('Pod').length === 1, 'a pod', 10_000);
    await waitFor(
      () => store.get<Deployment>('Deployment', 'test', 'web')?.status?.availableReplicas === 1,
      'an available replica',
      10_000,
    );
    await store.flush();
    expect(await readdir(join(store.stateDir, 'objects'))).toEqual(['Deployment']);
    expect(await readdir(join(store.stateDir, 'logs'))).toHaveLength(1);
  });
});
