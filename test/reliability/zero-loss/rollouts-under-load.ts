import { expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SAMPLE_APP,
  SAMPLE_GREETER,
  eventually,
  freePort,
  startWeirUp,
  type WeirUp,
} from '../../support/weir-process.js';
import { startMixedLoad, type LoadReport, type MixedLoad, type MixedLoadOptions } from '../support/mixed-load.js';

/**
 * The zero-loss scenario, shared by the short test (`npm test`) and the soak (`npm run test:soak`): under
 * `weir up` (real sidecars, certificates of `certLifetime`), an HTTP canary (podinfo: HTTP/1.1 kept-alive and
 * new connections, h2c) and a gRPC canary (greeter) each go through a full promotion, then a full rollback
 * (its `rollout` webhook starts failing once traffic reached the canary: the app itself never fails), then
 * podinfo is switched blue/green — all under one paced load that counts every request.
 */
export interface ScenarioOptions {
  rate: number;
  stepWeight: number;
  maxWeight: number;
  interval: string;
  certLifetime: string;
  /** blue/green iterations */
  iterations: number;
  /** bound of each run, ms */
  runTimeoutMs: number;
  /** each client kind's share of the rate (default: a quarter each) */
  mix?: MixedLoadOptions['mix'];
}

export interface ScenarioResult {
  load: LoadReport;
  /** the phases each run ended in, in order */
  outcomes: string[];
  /** certificates the sidecars alive at the end got (identity_cert_refresh_count, summed) */
  renewals: number;
  /** the Canaries' events, `time object: reason message`, to set the load's slowest answers against */
  events: string[];
}

/** `npm test`'s version (rollouts-under-load.serial.test.ts, `npm run bench -- --quick`) */
export const SHORT_SCENARIO: ScenarioOptions = {
  rate: 200,
  stepWeight: 20,
  maxWeight: 60,
  interval: '1s',
  certLifetime: '5s',
  iterations: 3,
  runTimeoutMs: 240_000,
};

/** the soak (rollouts-under-load.soak.test.ts, `npm run bench`) */
export const SOAK_SCENARIO: ScenarioOptions = {
  rate: 1000,
  stepWeight: 10,
  maxWeight: 50,
  interval: '2s',
  certLifetime: '10s',
  iterations: 5,
  runTimeoutMs: 600_000,
  // HTTP/1.1 comes from openloop (C, about 0.07 ms of CPU a request); the node h2c and gRPC clients cost the
  // machine more than half a millisecond a request each, so they carry 15 % each of the 1,000 req/s
  mix: { 'h1-keepalive': 50, 'h1-new-connection': 20, h2c: 15, grpc: 15 },
};

function deployment(name: string, app: string, version: string, port: { name: string; n: number }, probe: string) {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test, labels: { app: ${name} } }
spec:
  replicas: 1
  progressDeadlineSeconds: 120
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: ${name}
          image: example.com/${name}:1
          command: [node]
          args: [${JSON.stringify(app)}]
          env: [{ name: VERSION, value: "${version}" }]
          ports: [{ name: ${port.name}, containerPort: ${port.n} }]
          readinessProbe: { ${probe}, periodSeconds: 1 }
`;
}

function analysis(o: ScenarioOptions, gate: string, name: string): string {
  return JSON.stringify({
    interval: o.interval,
    threshold: 2,
    stepWeight: o.stepWeight,
    maxWeight: o.maxWeight,
    webhooks: [{ name: 'rollout-check', type: 'rollout', url: `${gate}/check/${name}`, timeout: '5s' }],
  });
}

function manifests(o: ScenarioOptions, httpPort: number, grpcPort: number, gate: string): string {
  return `${deployment('podinfo', SAMPLE_APP, '1.0.0', { name: 'http', n: 9898 }, 'httpGet: { path: /readyz, port: http }')}---
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${httpPort}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  progressDeadlineSeconds: 120
  service:
    port: ${httpPort}
    targetPort: 9898
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${httpPort} }]
  analysis: ${analysis(o, gate, 'podinfo')}
---
${deployment('greeter', SAMPLE_GREETER, '1.0.0', { name: 'grpc', n: 9999 }, 'tcpSocket: { port: grpc }')}---
apiVersion: v1
kind: Service
metadata: { name: greeter, namespace: test }
spec:
  selector: { app: greeter }
  ports: [{ name: grpc, port: ${grpcPort}, targetPort: grpc, appProtocol: grpc }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: greeter, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: greeter }
  progressDeadlineSeconds: 120
  service:
    port: ${grpcPort}
    portName: grpc
    targetPort: grpc
    appProtocol: grpc
  analysis: ${analysis(o, gate, 'greeter')}
`;
}

interface CanaryStatus {
  phase?: string;
  canaryWeight?: number;
}

async function jsonAt<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const canaryUrl = (api: string, name: string) => `${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/${name}`;

async function status(api: string, name: string): Promise<CanaryStatus> {
  return (await jsonAt<{ status?: CanaryStatus }>(canaryUrl(api, name))).status ?? {};
}

/** read-modify-write of an object through the API (409s retried) */
async function update(url: string, change: (o: Record<string, unknown>) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const o = await jsonAt<Record<string, unknown>>(url);
    delete o.status;
    change(o);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(o),
      signal: AbortSignal.timeout(10_000),
    });
    if (put.ok) return;
    if (put.status !== 409 || attempt >= 10) throw new Error(`PUT ${url}: ${put.status} ${await put.text()}`);
  }
}

async function setVersion(api: string, name: string, version: string): Promise<void> {
  await update(`${api}/apis/apps/v1/namespaces/test/deployments/${name}`, (d) => {
    const spec = d.spec as { template: { spec: { containers: Array<{ env?: unknown }> } } };
    spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: version }];
  });
}

/** the phase a run ends in (Succeeded or Failed), after it started (the previous end phase left) */
async function runEnd(api: string, name: string, previous: string | undefined, timeoutMs: number): Promise<string> {
  await eventually(`${name}: the new run to start`, timeoutMs, async () =>
    (await status(api, name)).phase !== previous ? true : undefined,
  );
  return eventually(`${name}: the run to end`, timeoutMs, async () => {
    const p = (await status(api, name)).phase;
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  });
}

async function canaryEvents(api: string): Promise<string[]> {
  const list = await jsonAt<{
    items: Array<{
      lastTimestamp?: string;
      eventTime?: string;
      involvedObject?: { name?: string };
      reason?: string;
      message?: string;
    }>;
  }>(`${api}/api/v1/namespaces/test/events`);
  return list.items
    .map((e) => `${e.lastTimestamp ?? e.eventTime ?? ''} ${e.involvedObject?.name ?? ''}: ${e.reason} ${e.message}`)
    .sort();
}

async function renewals(api: string): Promise<number> {
  const pods = await jsonAt<{ items: Array<{ metadata: { annotations?: Record<string, string> } }> }>(
    `${api}/api/v1/namespaces/test/pods`,
  );
  let n = 0;
  for (const p of pods.items) {
    const admin = p.metadata.annotations?.['weir.io/proxy-admin'];
    if (!admin) continue;
    // a pod of a finished run may be going away meanwhile
    const text = await fetch(`http://${admin}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((r) => r.text())
      .catch(() => '');
    n += Number(/^identity_cert_refresh_count (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  return n;
}

/** a webhook answering 200 to each check, or 500 for the names in `failing` */
function startGate(failing: Set<string>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      req.resume();
      const name = (req.url ?? '').split('/').pop() ?? '';
      res.writeHead(failing.has(name) ? 500 : 200).end();
    });
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
    });
  });
}

export async function runZeroLossScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-zero-loss-'));
  const failing = new Set<string>();
  const gate = await startGate(failing);
  let up: WeirUp | undefined;
  let load: MixedLoad | undefined;
  try {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    await writeFile(join(dir, 'app.yaml'), manifests(o, httpPort, grpcPort, gate.url));
    up = await startWeirUp(
      [dir, '--state-dir', join(dir, 'state'), '--identity-cert-lifetime', o.certLifetime],
      {},
      60_000,
    );
    const api = up.api;
    for (const name of ['podinfo', 'greeter'])
      await eventually(`${name} to initialize`, 120_000, async () =>
        (await status(api, name)).phase === 'Initialized' ? true : undefined,
      );
    load = await startMixedLoad({ httpPort, grpcPort, rate: o.rate, ...(o.mix ? { mix: o.mix } : {}) });
    // the load runs a moment before the first rollout: every connection kind is up and counted
    await eventually('the load to be answered', 30_000, async () =>
      load!.report().succeeded >= o.rate ? true : undefined,
    );
    const outcomes: string[] = [];
    const both = async (version: string) => {
      const before = await Promise.all(['podinfo', 'greeter'].map((n) => status(api, n)));
      await Promise.all(['podinfo', 'greeter'].map((n) => setVersion(api, n, version)));
      return Promise.all(['podinfo', 'greeter'].map((n, i) => runEnd(api, n, before[i]!.phase, o.runTimeoutMs)));
    };

    // 1. a full promotion of both
    outcomes.push(...(await both('2.0.0')).map((p, i) => `promotion ${i ? 'greeter' : 'podinfo'}: ${p}`));

    // 2. a full rollback of both: their rollout webhook fails once the canary carries traffic
    const rollback = both('3.0.0');
    await Promise.all(
      ['podinfo', 'greeter'].map((n) =>
        eventually(`${n}: canary weight ${o.stepWeight}`, o.runTimeoutMs, async () => {
          const s = await status(api, n);
          return s.phase === 'Progressing' && (s.canaryWeight ?? 0) >= o.stepWeight ? true : undefined;
        }).then(() => failing.add(n)),
      ),
    );
    outcomes.push(...(await rollback).map((p, i) => `rollback ${i ? 'greeter' : 'podinfo'}: ${p}`));
    failing.clear();

    // 3. blue/green for podinfo: the same Canary, now with iterations and no weights
    await update(canaryUrl(api, 'podinfo'), (c) => {
      const spec = c.spec as { analysis: Record<string, unknown> };
      spec.analysis = { interval: o.interval, threshold: 2, iterations: o.iterations };
    });
    const before = (await status(api, 'podinfo')).phase;
    await setVersion(api, 'podinfo', '4.0.0');
    outcomes.push(`blue/green podinfo: ${await runEnd(api, 'podinfo', before, o.runTimeoutMs)}`);

    const renewed = await renewals(api);
    const report = await load.stop();
    load = undefined;
    return { load: report, outcomes, renewals: renewed, events: await canaryEvents(api) };
  } catch (err) {
    // what the load saw up to the failure, and where each Canary stood
    const seen = load ? await load.stop() : undefined;
    load = undefined;
    const where = up ? await Promise.all(['podinfo', 'greeter'].map((n) => status(up!.api, n).catch(() => ({})))) : [];
    throw new Error(`${String(err)}\ncanaries: ${JSON.stringify(where)}\nload: ${JSON.stringify(seen)}`);
  } finally {
    await load?.stop();
    await up?.stop();
    gate.server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What both versions of the scenario assert: each run ended as it should, and not one request failed. */
export function expectZeroLoss(r: ScenarioResult): void {
  expect(r.outcomes).toEqual([
    'promotion podinfo: Succeeded',
    'promotion greeter: Succeeded',
    'rollback podinfo: Failed',
    'rollback greeter: Failed',
    'blue/green podinfo: Succeeded',
  ]);
  expect(r.load.firstFailures).toEqual([]);
  expect(r.load.failed).toBe(0);
  expect(r.load.succeeded).toBe(r.load.sent);
}
