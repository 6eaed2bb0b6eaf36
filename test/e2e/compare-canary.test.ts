import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steadyLoad, type SteadyLoad } from '../support/steady-load.js';
import { SAMPLE_APP, eventually, freePort, runWeir } from '../support/weir-process.js';
import { canaryStatus, getOnce, kubeEvents, startWeirUpGroup, type GroupProcess } from './canary-fixtures.js';

/**
 * Canary against primary, sequentially (docs/compare.md), over real sidecars: the primary answers in about
 * 20 ms; a canary at 60 ms is well inside the absolute SLO (request-duration p99 <= 500 ms) and is failed by
 * weir-compare-latency alone, while a canary as fast as the primary is promoted.
 */

function deployment(version: string, latencyMs: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: podinfo, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: podinfo } }
  template:
    metadata: { labels: { app: podinfo } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: podinfod
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "${version}" }, { name: LATENCY_MS, value: "${latencyMs}" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
`;
}

function serviceAndCanary(port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  progressDeadlineSeconds: 120
  service:
    port: ${port}
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${port} }]
  analysis:
    interval: 2s
    threshold: 3
    stepWeight: 20
    maxWeight: 60
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 30s
      - name: request-duration
        thresholdRange: { max: 500 }
        interval: 30s
      - name: weir-compare-errors
        query: effect=0.05,alpha=0.05,min=50
      - name: weir-compare-latency
        query: effect=0.2,alpha=0.05,min=50
`;
}

describe('canary against primary, sequentially, over real sidecars', () => {
  let dir: string;
  let up: GroupProcess | undefined;
  let port: number;
  let load: SteadyLoad | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-compare-'));
    port = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), `${deployment('1.0.0', 20)}---\n${serviceAndCanary(port)}`);
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, '.state')], 60_000);
    await eventually('the canary to initialize', 60_000, async () =>
      (await canaryStatus(up!.api)).phase === 'Initialized' ? true : undefined,
    );
    // users all along: about as many requests per second as 4 loops of 20-60 ms allow
    load = steadyLoad(
      async () => {
        const r = await getOnce(`http://127.0.0.1:${port}/`, 10_000);
        return r.status === 200 ? undefined : `HTTP ${r.status}`;
      },
      4,
      0,
    );
  }, 120_000);

  afterAll(async () => {
    await load?.stop();
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function release(version: string, latencyMs: number): Promise<void> {
    const file = join(dir, `v${version}.yaml`);
    await writeFile(file, deployment(version, latencyMs));
    const r = await runWeir(['apply', '-f', file, '--api', up!.api]);
    expect(r.code, r.stderr).toBe(0);
  }

  async function outcome(): Promise<{ phase: string; analysis?: string }> {
    await eventually('the run to start', 30_000, async () =>
      (await canaryStatus(up!.api)).phase === 'Progressing' ? true : undefined,
    );
    return eventually('the run to end', 90_000, async () => {
      const s = await canaryStatus(up!.api);
      if (s.phase !== 'Succeeded' && s.phase !== 'Failed') return undefined;
      const analysis = s.conditions?.find((c) => c.type === 'Analysis')?.message;
      return { phase: s.phase, ...(analysis !== undefined ? { analysis } : {}) };
    });
  }

  it('fails a canary three times slower than the primary but inside the absolute SLO, by the comparison', async () => {
    const started = Date.now();
    await release('2.0.0', 60);
    const end = await outcome();
    console.log(`slower canary: ${end.phase} in ${Date.now() - started} ms; ${end.analysis ?? ''}`);
    expect(end.phase).toBe('Failed');
    // the check that failed is the comparison, with its one-line explanation
    expect(end.analysis).toMatch(
      /^metric weir-compare-latency: canary p50 \d+ms p99 \d+ms vs primary p50 \d+ms p99 \d+ms, P\(canary slower\)=[01]\.\d\d \(n=\d+ vs \d+\), always-valid p[=<]\S+ < 0\.05: worse \(failed checks 3\/3\)$/,
    );
    const events = await kubeEvents(up!.api);
    const halts = events.filter((e) => e.startsWith('Halt podinfo.test advancement'));
    expect(halts.length).toBeGreaterThanOrEqual(3);
    // the absolute metrics never failed: every halt is the comparison's
    expect(halts.filter((e) => !e.startsWith('Halt podinfo.test advancement weir-compare-latency canary p50'))).toEqual(
      [],
    );
    // the primary still serves v1 to everyone
    expect((await getOnce(`http://127.0.0.1:${port}/`)).version).toBe('1.0.0');
  }, 150_000);

  it('promotes a canary as fast as the primary', async () => {
    const started = Date.now();
    await release('3.0.0', 20);
    const end = await outcome();
    console.log(`same-speed canary: ${end.phase} in ${Date.now() - started} ms; ${end.analysis ?? ''}`);
    expect(end.phase).toBe('Succeeded');
    // the comparisons that let it through, each in one line, recorded before the promotion
    const events = await kubeEvents(up!.api);
    const passed = events.filter((e) => e.startsWith('weir-compare-'));
    console.log(passed.join('\n'));
    expect(passed.some((e) => /^weir-compare-latency canary p50 \d+ms .*: not worse$/.test(e))).toBe(true);
    expect(passed.some((e) => /^weir-compare-errors canary errors 0\.00% .*: not worse$/.test(e))).toBe(true);
    await eventually('v3 from the primary', 20_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '3.0.0' ? true : undefined,
    );
    const tally = load!.tally();
    expect(tally.failed, tally.failures.join('\n')).toBe(0);
  }, 150_000);
});
