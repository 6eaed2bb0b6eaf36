import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, SAMPLE_APP } from '../support/weir-process.js';
import { getOnce, startWeirUpGroup, waitFor, type GroupProcess } from './canary-fixtures.js';

// Two Canaries released together (weir.io/release: shop): frontend calls backend (the sample app's
// DOWNSTREAM_URL, through its sidecar). A request served by the frontend's canary must be answered by the
// backend's canary (the lane), both move in lock step, and a failure of either rolls both back.
//
// Each test starts its own `weir up` (nothing carried from one to the other), and its clients send a fixed
// rate (RATE requests per second in all): the suite runs on 2 busy cores, and unpaced clients (67,544 requests
// in 90 s in one CI run) measured how fast the machine was rather than what the release does.

function workload(name: string, port: number, env: Record<string, string>): string {
  const envList = Object.entries(env)
    .map(([k, v]) => `{ name: ${k}, value: ${JSON.stringify(v)} }`)
    .join(', ');
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test }
spec:
  replicas: 1
  progressDeadlineSeconds: 120
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [${envList}]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: ${name}, namespace: test, labels: { weir.io/release: shop } }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  progressDeadlineSeconds: 120
  service: { port: ${port}, targetPort: 9898 }
  analysis:
    interval: 2s
    threshold: 2
    stepWeight: 20
    maxWeight: 60
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 90 }
        interval: 30s
`;
}

interface Answer {
  status: number;
  /** when the request was sent (ms, Date.now) */
  sentAt: number;
  body: string;
  version?: string;
  hostname?: string;
  downstream?: { status: number; version?: string; hostname?: string; error?: string };
}

/** a request that got no HTTP answer */
interface ClientError {
  sentAt: number;
  error: string;
}

interface Member {
  name: string;
  phase?: string;
  weight: number;
  conditions?: Array<{ type: string; reason?: string; message?: string }>;
}

/** requests per second sent to the frontend Service by the clients of `underLoad`, in all */
const RATE = 60;
const CLIENTS = 4;
/** the load goes on after the run until this many answers sent after it are in (what users get then) */
const AFTER_ANSWERS = 60;
/**
 * what is judged "after the run" starts this long after the status said so: the routes of the last tick reach
 * the sidecars (other processes) over the control plane's streams; a request sent before may still take the
 * previous split
 */
const SETTLE_MS = 1_000;

async function members(api: string): Promise<Member[]> {
  const res = await fetch(`${api}/apis/flagger.app/v1beta1/namespaces/test/canaries`, {
    signal: AbortSignal.timeout(5_000),
  });
  const list = (await res.json()) as {
    items: Array<{
      metadata: { name: string };
      status?: { phase?: string; canaryWeight?: number; conditions?: Member['conditions'] };
    }>;
  };
  return list.items
    .map((c) => ({
      name: c.metadata.name,
      ...(c.status?.phase !== undefined ? { phase: c.status.phase } : {}),
      weight: c.status?.canaryWeight ?? 0,
      ...(c.status?.conditions ? { conditions: c.status.conditions } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function eventsOf(api: string, name: string): Promise<string[]> {
  const res = await fetch(`${api}/weir/v1/namespaces/test/canaries/${name}/events`, {
    signal: AbortSignal.timeout(5_000),
  });
  return ((await res.json()) as { items: Array<{ message: string }> }).items.map((e) => e.message);
}

/** a new revision of a Deployment: its container's env replaced, through the API (409 retried) */
async function setEnv(api: string, name: string, env: Record<string, string>): Promise<void> {
  const url = `${api}/apis/apps/v1/namespaces/test/deployments/${name}`;
  for (let attempt = 1; ; attempt++) {
    const d = (await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as {
      status?: unknown;
      spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } };
    };
    delete d.status;
    d.spec.template.spec.containers[0]!.env = Object.entries(env).map(([k, v]) => ({ name: k, value: v }));
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(d),
      signal: AbortSignal.timeout(5_000),
    });
    if (put.ok) return;
    if (put.status !== 409 || attempt >= 10) throw new Error(`PUT ${url}: ${put.status} ${await put.text()}`);
  }
}

/** a pod of the target (canary) Deployment, not of its `-primary` copy */
const canaryPod = (workloadName: string, pod: string | undefined) =>
  pod !== undefined && pod.startsWith(`${workloadName}-`) && !pod.startsWith(`${workloadName}-primary-`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** one answer of the frontend Service, its JSON body read */
async function ask(frontendPort: number): Promise<Answer> {
  const sentAt = Date.now();
  const r = await getOnce(`http://127.0.0.1:${frontendPort}/`, 15_000);
  let body: Omit<Answer, 'status' | 'sentAt' | 'body'> = {};
  try {
    body = JSON.parse(r.body) as typeof body;
  } catch {
    // a proxy's error answer: kept as text
  }
  return { status: r.status, sentAt, body: r.body.slice(0, 200), ...body };
}

/**
 * Load on the frontend Service (CLIENTS clients sending RATE requests per second in all, each at its own fixed
 * pace: a slow answer delays its client's next request, never bunches them) and the members' statuses sampled,
 * until `done` says the run is over, then until AFTER_ANSWERS answers sent SETTLE_MS after that are in. Every answer, every status list seen, and when
 * the run was seen over (undefined: not within `boundMs`).
 */
async function underLoad(
  api: string,
  frontendPort: number,
  done: (m: Member[]) => boolean,
  boundMs: number,
): Promise<{ answers: Answer[]; snapshots: Member[][]; errors: ClientError[]; overAt?: number }> {
  const answers: Answer[] = [];
  const snapshots: Member[][] = [];
  const errors: ClientError[] = [];
  let stop = false;
  const periodMs = (1000 * CLIENTS) / RATE;
  const client = async (i: number) => {
    let next = Date.now() + (i * periodMs) / CLIENTS;
    while (!stop) {
      await sleep(Math.max(0, next - Date.now()));
      if (stop) break;
      next = Math.max(next + periodMs, Date.now());
      const sentAt = Date.now();
      try {
        answers.push(await ask(frontendPort));
      } catch (err) {
        errors.push({ sentAt, error: String(err) });
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
  const deadline = Date.now() + boundMs;
  let overAt: number | undefined;
  try {
    while (Date.now() < deadline) {
      const m = await members(api);
      snapshots.push(m);
      if (done(m)) {
        overAt = Date.now();
        break;
      }
      await sleep(100);
    }
    if (overAt !== undefined) {
      const from = overAt + SETTLE_MS;
      const until = Date.now() + 60_000;
      while (answers.filter((a) => a.sentAt >= from).length < AFTER_ANSWERS && Date.now() < until) await sleep(100);
    }
  } finally {
    stop = true;
    await Promise.all(clients);
  }
  return { answers, snapshots, errors, ...(overAt !== undefined ? { overAt } : {}) };
}

/** a run is over once the members, having started one (Progressing), are all Succeeded or Failed */
function finished(): (m: Member[]) => boolean {
  let started = false;
  return (m) => {
    if (m.some((x) => x.phase === 'Progressing')) started = true;
    return started && m.every((x) => x.phase === 'Succeeded' || x.phase === 'Failed');
  };
}

/** the answers (and requests without one) sent once the run had been over SETTLE_MS */
function afterRun(run: { answers: Answer[]; errors: ClientError[]; overAt?: number }): {
  answers: Answer[];
  errors: string[];
} {
  const from = run.overAt! + SETTLE_MS;
  return {
    answers: run.answers.filter((a) => a.sentAt >= from),
    errors: run.errors.filter((e) => e.sentAt >= from).map((e) => `${new Date(e.sentAt).toISOString()} ${e.error}`),
  };
}

/**
 * The answers sent once the run was over that break its outcome: not a 200 from a frontend primary pod at
 * `version` that called a backend at `version` (and, with `backendPrimary`, a backend primary pod).
 */
function offOutcome(answers: Answer[], version: string, backendPrimary: boolean): string[] {
  return answers
    .filter(
      (a) =>
        a.status !== 200 ||
        a.version !== version ||
        a.downstream?.version !== version ||
        !a.hostname?.startsWith('frontend-primary-') ||
        (backendPrimary && !a.downstream.hostname?.startsWith('backend-primary-')),
    )
    .map(show);
}

const show = (a: Answer) =>
  `${new Date(a.sentAt).toISOString()} ${a.status} ${a.hostname ?? ''} ${a.version ?? ''} -> ${a.downstream?.hostname ?? ''} ${a.downstream?.version ?? ''} ${a.downstream?.error ?? ''} ${a.hostname === undefined ? a.body : ''}`;

/** `weir up` over the shop (frontend and backend, both at 1.0.0) with both Canaries Initialized */
async function startShop(): Promise<{
  api: string;
  frontendPort: number;
  frontendEnv: (version: string) => Record<string, string>;
  stop: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-release-'));
  const frontendPort = await freePort();
  const backendPort = await freePort();
  const frontendEnv = (version: string) => ({ VERSION: version, DOWNSTREAM_URL: `http://backend:${backendPort}/` });
  await writeFile(
    join(dir, 'shop.yaml'),
    `${workload('frontend', frontendPort, frontendEnv('1.0.0'))}---\n${workload('backend', backendPort, { VERSION: '1.0.0' })}`,
  );
  let up: GroupProcess | undefined;
  const stop = async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, '.state')], 60_000);
    const api = up.api;
    await waitFor('both Canaries Initialized and the frontend answering through the backend', 120_000, async () => {
      const m = await members(api);
      if (m.length !== 2 || !m.every((x) => x.phase === 'Initialized')) return undefined;
      const r = await getOnce(`http://127.0.0.1:${frontendPort}/`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    });
    return { api, frontendPort, frontendEnv, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

describe('coordinated canaries over real sidecars (frontend -> backend, release shop)', () => {
  let shop: Awaited<ReturnType<typeof startShop>> | undefined;

  // each test its own mesh: a run's pods, routes, proxies' balancer state and statuses never reach the next
  beforeEach(async () => {
    shop = await startShop();
  }, 200_000);

  afterEach(async () => {
    await shop?.stop();
    shop = undefined;
  }, 60_000);

  it('v2 of both: no request crosses from the canary lane to a primary backend; equal weights throughout; both promote', async () => {
    const { api, frontendPort, frontendEnv } = shop!;
    await setEnv(api, 'backend', { VERSION: '2.0.0' });
    await setEnv(api, 'frontend', frontendEnv('2.0.0'));
    const run = await underLoad(api, frontendPort, finished(), 200_000);
    const last = run.snapshots[run.snapshots.length - 1]!;
    const story = async () =>
      (
        await Promise.all(
          ['backend', 'frontend'].map(async (n) => `${n}:\n  ${(await eventsOf(api, n)).slice(-12).join('\n  ')}`),
        )
      ).join('\n');
    expect(
      last.map((m) => `${m.name} ${m.phase}`),
      await story(),
    ).toEqual(['backend Succeeded', 'frontend Succeeded']);

    // lock step: every status list seen has the members at the same weight, and in a run at the same phase
    const unequal = run.snapshots.filter((s) => s[0]!.weight !== s[1]!.weight);
    expect(unequal.map((s) => JSON.stringify(s))).toEqual([]);
    const weightsSeen = [...new Set(run.snapshots.map((s) => s[0]!.weight))];
    expect(weightsSeen).toEqual(expect.arrayContaining([20, 40, 60]));

    // the lane: every answer of a frontend canary pod came from a backend canary pod
    const byCanary = run.answers.filter((a) => canaryPod('frontend', a.hostname));
    const crossings = byCanary.filter((a) => !canaryPod('backend', a.downstream?.hostname));
    // by version too, for the canary pods' answers: the lane's promise. A promoted frontend *primary* may call a
    // backend primary still rolling to v2 for the seconds of the joint promotion (docs/coordinated-canaries.md)
    const versionCrossings = byCanary.filter((a) => a.version === '2.0.0' && a.downstream?.version !== '2.0.0');
    const failed = run.answers.filter((a) => a.status !== 200);
    console.log(
      `coordinated canaries: ${run.answers.length} answers (${failed.length} not 200, ${run.errors.length} client errors), ` +
        `${byCanary.length} served by the frontend canary, ${crossings.length} crossings to a primary backend, ` +
        `${versionCrossings.length} v2 frontend answers with a non-v2 backend, ${run.snapshots.length} status lists, ` +
        `weights seen ${weightsSeen.join(',')}${failed.length > 0 ? `\n  ${failed.slice(0, 20).map(show).join('\n  ')}` : ''}`,
    );
    expect(byCanary.length).toBeGreaterThan(20);
    expect(crossings.map(show)).toEqual([]);
    expect(versionCrossings.map(show)).toEqual([]);
    // the primary's traffic during the run was split (it reached both backend versions)
    const fromPrimary = run.answers.filter((a) => a.hostname?.startsWith('frontend-primary-') && a.version === '1.0.0');
    expect(new Set(fromPrimary.map((a) => a.downstream?.version))).toContain('1.0.0');
    // once both succeeded: every request answered by v2 from v2, by primary pods
    const after = afterRun(run);
    expect(after.answers.length).toBeGreaterThanOrEqual(AFTER_ANSWERS);
    expect(after.errors).toEqual([]);
    expect(offOutcome(after.answers, '2.0.0', true)).toEqual([]);
    // no lane rule left on the routes (it goes in the tick after the one that scaled the canaries down)
    await waitFor('the lane rules removed from both routes', 30_000, async () => {
      for (const name of ['frontend', 'backend']) {
        const route = (await (
          await fetch(`${api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/${name}`, {
            signal: AbortSignal.timeout(5_000),
          })
        ).json()) as { spec: { rules: unknown[] } };
        if (JSON.stringify(route.spec.rules).includes('weir-lane')) return undefined;
      }
      return true;
    });
  }, 260_000);

  it('the backend canary fails its metric: both roll back, each naming the release and the failure', async () => {
    const { api, frontendPort, frontendEnv } = shop!;
    await setEnv(api, 'backend', { VERSION: '2.0.0', ERROR_RATE: '1' });
    await setEnv(api, 'frontend', frontendEnv('2.0.0'));
    const run = await underLoad(api, frontendPort, finished(), 200_000);
    const last = run.snapshots[run.snapshots.length - 1]!;
    expect(last.map((m) => `${m.name} ${m.phase} ${m.weight}`)).toEqual(['backend Failed 0', 'frontend Failed 0']);
    const unequal = run.snapshots.filter((s) => s[0]!.weight !== s[1]!.weight);
    expect(unequal.map((s) => JSON.stringify(s))).toEqual([]);
    for (const name of ['frontend', 'backend']) {
      const events = await eventsOf(api, name);
      expect(
        events.filter((e) => /^release shop: (backend|frontend) failed: metric request-success-rate/.test(e)),
        `${name}: ${events.join('\n')}`,
      ).not.toEqual([]);
    }
    const byCanary = run.answers.filter((a) => canaryPod('frontend', a.hostname));
    const crossings = byCanary.filter(
      (a) => a.downstream?.hostname !== undefined && !canaryPod('backend', a.downstream.hostname),
    );
    console.log(
      `coordinated canaries, rollback: ${run.answers.length} answers, ${byCanary.length} served by the frontend canary, ` +
        `${crossings.length} of them answered by a primary backend; conditions ${JSON.stringify(last.map((m) => m.conditions?.find((c) => c.type === 'Analysis')))}`,
    );
    expect(crossings.map(show)).toEqual([]);
    // once both rolled back: the primaries (1.0.0) answer every request
    const after = afterRun(run);
    expect(after.answers.length).toBeGreaterThanOrEqual(AFTER_ANSWERS);
    expect(after.errors).toEqual([]);
    expect(offOutcome(after.answers, '1.0.0', false)).toEqual([]);
  }, 260_000);
});
