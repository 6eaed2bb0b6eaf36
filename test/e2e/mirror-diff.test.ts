import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, SAMPLE_APP, startWeirUp, WEIR_BIN, type WeirUp } from '../support/weir-process.js';
import { getOnce } from './canary-fixtures.js';

/** Deployment, Service and blue/green mirrored Canary `name` (namespace test), gated on mirror-diff-rate */
function manifests(name: string, port: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test, labels: { app: ${name} } }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "1.0.0" }, { name: TIMESTAMP, value: "true" }]
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
metadata:
  name: ${name}
  namespace: test
  annotations:
    weir.io/mirror-diff: "true"
    weir.io/mirror-diff-ignore: "$.timestamp,$.hostname"
    weir.io/mirror-diff-headers: "content-type,x-version"
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: ${port}
    targetPort: 9898
    gatewayRefs: [{ group: core, kind: Service, name: ${name}, port: ${port} }]
  analysis:
    interval: 1s
    threshold: 5
    iterations: 8
    mirror: true
    metrics:
      - name: mirror-diff-rate
        interval: 5s
        thresholdRange: { max: 5 }
`;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type Env = Array<{ name: string; value: string }>;

/** a new revision of Deployment test/NAME with `extra` environment (read-modify-write, 409 retried) */
async function newRevision(api: string, name: string, extra: Env): Promise<void> {
  const url = `${api}/apis/apps/v1/namespaces/test/deployments/${name}`;
  for (let attempt = 1; ; attempt++) {
    const d = await json<{
      metadata: Record<string, unknown>;
      spec: { template: { spec: { containers: Array<{ env?: Env }> } } };
      status?: unknown;
    }>(url);
    delete d.status;
    const c = d.spec.template.spec.containers[0]!;
    c.env = [...(c.env ?? []).filter((e) => !extra.some((x) => x.name === e.name)), ...extra];
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

async function phase(api: string, name: string): Promise<string | undefined> {
  const c = await json<{ status?: { phase?: string } }>(
    `${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/${name}`,
  );
  return c.status?.phase;
}

// Diffy-style mirror diffing end to end, over `weir up`'s real proxies: two blue/green Canaries that mirror
// user traffic to their canary and gate on mirror-diff-rate. `bad`'s new revision changes one JSON field
// (MESSAGE): the diff gate fails it. `good`'s new revision answers the same but for `timestamp`, which changes
// on every answer and is listed as ignored: it is promoted. (`hostname` is the pod's name, which differs
// between any two pods, so it is ignored as well.)
describe('mirror diffing end to end', () => {
  let dir: string;
  let up: WeirUp | undefined;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-mirror-diff-'));
    ports.good = await freePort();
    ports.bad = await freePort();
    await writeFile(join(dir, 'good.yaml'), manifests('good', ports.good));
    await writeFile(join(dir, 'bad.yaml'), manifests('bad', ports.bad));
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')], {}, 60_000);
  }, 70_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a mirrored canary that changes one JSON field and promotes one that changes only an ignored timestamp', async () => {
    const api = up!.api;
    const deadline = Date.now() + 90_000;
    const phases = async () => ({ good: await phase(api, 'good'), bad: await phase(api, 'bad') });
    let p = await phases();
    while (Date.now() < deadline && (p.good !== 'Initialized' || p.bad !== 'Initialized')) p = await phases();
    expect(p).toEqual({ good: 'Initialized', bad: 'Initialized' });
    await newRevision(api, 'good', [{ name: 'REVISION', value: '2' }]);
    await newRevision(api, 'bad', [{ name: 'MESSAGE', value: 'a changed answer' }]);

    // user traffic to both Services until both runs are over; every user answer is the primary's (v1 message)
    const done = (x: string | undefined) => x === 'Succeeded' || x === 'Failed';
    const runDeadline = Date.now() + 120_000;
    const messages = new Set<string>();
    while (Date.now() < runDeadline && !(done(p.good) && done(p.bad))) {
      for (const name of ['good', 'bad']) {
        if (done(p[name as 'good' | 'bad'])) continue;
        const r = await getOnce(`http://127.0.0.1:${ports[name]}/`).catch(() => undefined);
        if (r?.status === 200 && p.bad === 'Progressing' && name === 'bad')
          messages.add((JSON.parse(r.body) as { message: string }).message);
      }
      p = await phases();
    }
    if (p.good !== 'Succeeded' || p.bad !== 'Failed') {
      const events = async (n: string) =>
        (await json<{ items: Array<{ message: string }> }>(`${api}/weir/v1/namespaces/test/canaries/${n}/events`)).items
          .map((e) => e.message)
          .slice(-8);
      console.log(JSON.stringify({ p, good: await events('good'), bad: await events('bad') }, null, 1));
      console.log(JSON.stringify(await json(`${api}/weir/v1/mirror-diffs?namespace=test&limit=3`), null, 1));
    }
    expect(p).toEqual({ good: 'Succeeded', bad: 'Failed' });
    // while `bad` was analysed, its users were answered by the primary, never by the mirrored canary
    expect([...messages]).toEqual(['greetings from podinfo v1.0.0']);

    // the differences are there to see: through the API, and with weir diffs
    const v = await json<{
      differences: Array<{
        mirror: string;
        path: string;
        differences: Array<{ field: string; primary: string; canary: string }>;
      }>;
      totals: Array<{ mirror: string; compared: number; differing: number }>;
    }>(`${api}/weir/v1/mirror-diffs?namespace=test`);
    const bad = v.differences.filter((d) => d.mirror === 'test/bad-canary');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]!.differences).toEqual([
      {
        reason: 'field-value',
        field: '$.message',
        primary: '"greetings from podinfo v1.0.0"',
        canary: '"a changed answer"',
      },
    ]);
    // the good canary differed nowhere (timestamp ignored), though it was compared
    expect(v.differences.filter((d) => d.mirror === 'test/good-canary')).toEqual([]);
    const good = v.totals.filter((t) => t.mirror === 'test/good-canary');
    expect(good.reduce((n, t) => n + t.compared, 0)).toBeGreaterThan(0);
    expect(good.reduce((n, t) => n + t.differing, 0)).toBe(0);

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [WEIR_BIN, 'diffs', 'canary/bad', '-n', 'test', '--api', api],
      { timeout: 20_000 },
    );
    expect(stdout).toMatch(/\d+ of \d+ compared mirrored requests differed/);
    expect(stdout).toContain('$.message');
    expect(stdout).toContain('"a changed answer"');
  }, 300_000);
});
