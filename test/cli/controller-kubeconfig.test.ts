import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../controlplane/api/kubeconfig.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Canary, Deployment, HTTPRoute } from '../../engine/resources/index.js';
import { startCanaryController } from '../../rollouts/index.js';
import { PrometheusMetricsProvider } from '../../rollouts/metrics/prometheus-provider.js';
import { canary, deployment, fakeRuntime, NS } from '../rollouts/fixtures.js';
import { WEIR_BIN } from '../support/weir-process.js';

/** a Prometheus HTTP API answering every instant query with one sample: 100 (success rate %, latency ms) */
async function fakePrometheus(): Promise<{ url: string; queries: () => number; close(): Promise<void> }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    if (!(req.url ?? '').startsWith('/api/v1/query')) {
      res.writeHead(404).end();
      return;
    }
    n++;
    const body = {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '100'] }] },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** what a canary run looks like from the store: its distinct (phase, weight) states, route weights, Normal events */
function recordRun(store: MemoryStore) {
  const states: string[] = [];
  const routes: string[] = [];
  const events: string[] = [];
  const push = (list: string[], v: string) => {
    if (list[list.length - 1] !== v) list.push(v);
  };
  const stop = store.watch((e) => {
    if (e.type === 'DELETED') return;
    if (e.object.kind === 'Canary') {
      const s = (e.object as Canary).status;
      if (s?.phase) push(states, `${s.phase} ${s.canaryWeight ?? 0}`);
    } else if (e.object.kind === 'HTTPRoute' && e.object.metadata.name === 'podinfo') {
      const refs = (e.object as HTTPRoute).spec.rules[0]?.backendRefs ?? [];
      push(routes, refs.map((b) => `${b.name}=${b.weight}`).join(' '));
    } else if (e.object.kind === 'Event' && e.type === 'ADDED') {
      const ev = e.object as unknown as { type?: string; message?: string };
      if (ev.type === 'Normal') push(events, ev.message ?? '');
    }
  });
  return { states, routes, events, stop };
}

async function until<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const phase = (store: MemoryStore) => store.get<Canary>('Canary', NS, 'podinfo')?.status?.phase;

/** the canary of the test: 1 s interval, 25 % steps to 50 %, Flagger's builtin metrics read from Prometheus */
const podinfoCanary = () =>
  canary({
    interval: '1s',
    threshold: 2,
    stepWeight: 25,
    maxWeight: 50,
    metrics: [
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' },
    ],
  });

/**
 * One canary run over `store`: initialise, change the target's image, wait for Succeeded. `midRun` is called
 * once the analysis is at 25 %.
 */
async function runCanary(store: MemoryStore, midRun?: () => Promise<void>) {
  const runtime = fakeRuntime(store);
  const run = recordRun(store);
  try {
    await store.apply(deployment('podinfo', 'podinfo:1'));
    await store.apply(podinfoCanary());
    await until('Initialized', 30_000, () => phase(store) === 'Initialized');
    await store.apply(deployment('podinfo', 'podinfo:2'));
    if (midRun) {
      await until('the analysis at 25 %', 30_000, () => run.states.includes('Progressing 25'));
      await midRun();
    }
    await until('Succeeded', 60_000, () => phase(store) === 'Succeeded');
    return run;
  } finally {
    run.stop();
    runtime.stop();
  }
}

describe('weir controller --kubeconfig', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('runs a canary through the Kubernetes API exactly as the embedded controller does, across an API restart', async () => {
    const prom = await fakePrometheus();
    closers.push(() => prom.close());

    // the embedded controller, over its store
    const embeddedStore = new MemoryStore();
    const provider = new PrometheusMetricsProvider({ store: embeddedStore, metricsServer: prom.url });
    const embedded = startCanaryController({ store: embeddedStore, metrics: [provider] });
    let reference;
    try {
      reference = await runCanary(embeddedStore);
    } finally {
      await embedded.close();
      await provider.close();
    }

    // the same manifests behind the embedded API, and `weir controller` reaching it with a kubeconfig
    const backing = new MemoryStore();
    let api: HttpApi = await startHttpApi({ store: backing });
    const port = api.port;
    closers.push(() => api.close());
    const dir = await mkdtemp(join(tmpdir(), 'weir-controller-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor(api.url));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        WEIR_BIN,
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--prometheus',
        prom.url,
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
      ],
      { env: { ...process.env, WEIR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    closers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    await until(
      'the controller to sync its caches',
      30_000,
      () => out.includes('caches synced') && out.includes('metrics:'),
    );
    expect(out).toContain(`weir controller: watching ${api.url} all namespaces`);
    expect(out).toMatch(/^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);

    let ticksWhileDown = 0;
    const run = await runCanary(backing, async () => {
      // the API server goes away mid-analysis: the controller keeps ticking (its metrics are still read)...
      await api.close();
      const before = prom.queries();
      await until('two analysis ticks while the API is down', 30_000, () => prom.queries() >= before + 4);
      ticksWhileDown = prom.queries() - before;
      // ...and carries on once it is back on the same port with the same state
      api = await startHttpApi({ store: backing, port });
    });
    expect(ticksWhileDown).toBeGreaterThanOrEqual(4);

    // promoted: the primary runs the new image and takes all the traffic again
    const primary = backing.get<Deployment>('Deployment', NS, 'podinfo-primary');
    expect(primary?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    expect(run.routes[run.routes.length - 1]).toBe('podinfo-primary=100 podinfo-canary=0');
    expect(run.states[run.states.length - 1]).toBe('Succeeded 0');
    // exactly the embedded controller's run: the same states, route weights and events, in the same order
    expect(run.states).toEqual(reference.states);
    expect(run.routes).toEqual(reference.routes);
    expect(run.events).toEqual(reference.events);
    expect(reference.states).toEqual(expect.arrayContaining(['Progressing 25', 'Progressing 50', 'Succeeded 0']));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^SIGTERM: stopping$/m);
  }, 180_000);
});
