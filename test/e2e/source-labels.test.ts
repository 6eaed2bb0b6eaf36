import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateWindows } from '../support/state-windows.js';
import { eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';
import { canaryStatus, podinfoDeployment } from './canary-fixtures.js';

/** an app that answers each request with the x-version of Service test/podinfo, called through its sidecar */
const CALLER = `import http from 'node:http';
const proxy = new URL(process.env.WEIR_OUTBOUND);
http.createServer((req, res) => {
  const r = http.request({ host: proxy.hostname, port: Number(proxy.port), path: 'http://podinfo.test:' + process.env.TARGET_PORT + '/' }, (up) => {
    res.writeHead(up.statusCode, { 'x-version': up.headers['x-version'] ?? '' });
    up.pipe(res);
  });
  r.on('error', (e) => { res.writeHead(599); res.end(String(e)); });
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

const podinfo = (version: string): string => podinfoDeployment(version, 120);

function rest(port: number, callers: Record<string, number>, callerApp: string): string {
  const callerDocs = Object.entries(callers).map(
    ([name, p]) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name}, tier: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: caller
          command: [node]
          args: [${JSON.stringify(callerApp)}]
          env: [{ name: TARGET_PORT, value: "${port}" }]
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${p}, targetPort: http }]
`,
  );
  return `${callerDocs.join('---\n')}---
apiVersion: v1
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
  service: { port: ${port} }
  analysis:
    interval: 1s
    threshold: 3
    iterations: 8
    match:
      - sourceLabels: { app: front }
`;
}

async function versionVia(port: number): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.status === 200 ? res.headers.get('x-version') : `status ${res.status}`;
}

// Istio's sourceLabels, which Flagger only honours on Istio: an A/B canary that only the calls of workloads
// labelled app=front reach. The front pod's own sidecar picks the rule, so other callers never see it.
describe('A/B by source labels end to end', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  const ports = { podinfo: 0, front: 0, other: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-srclabels-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-srclabels-apply-'));
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    const caller = join(dir, 'caller.mjs');
    await writeFile(caller, CALLER);
    await writeFile(
      join(dir, 'mesh.yaml'),
      `${podinfo('1.0.0')}---\n${rest(ports.podinfo, { front: ports.front, other: ports.other }, caller)}`,
    );
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('only the calls of the labelled workload reach the canary until promotion', async () => {
    await eventually('the canary to initialize and both callers to answer', 90_000, async () =>
      (await canaryStatus(up!.api)).phase === 'Initialized' &&
      (await versionVia(ports.front)) === '1.0.0' &&
      (await versionVia(ports.other)) === '1.0.0'
        ? true
        : undefined,
    );
    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, podinfo('2.0.0'));
    expect((await runWeir(['apply', '-f', v2, '--api', up!.api])).code).toBe(0);
    const windows = new StateWindows(
      () => canaryStatus(up!.api),
      (s) => s.phase ?? 'none',
    );
    const deadline = Date.now() + 120_000;
    let s = await windows.refresh();
    while (Date.now() < deadline && s.phase !== 'Succeeded' && s.phase !== 'Failed') {
      await windows.observe('front', () => versionVia(ports.front));
      s = await windows.observe('other', () => versionVia(ports.other));
    }
    expect(s.phase).toBe('Succeeded');
    const other = windows.during<string | null>('Progressing', 'other');
    expect(other.length).toBeGreaterThan(0);
    expect([...new Set(other)]).toEqual(['1.0.0']);
    // once the A/B route is in force in front's sidecar, every call of front is answered by v2
    const front = windows.during<string | null>('Progressing', 'front');
    const first = front.indexOf('2.0.0');
    expect(first, front.join(',')).toBeGreaterThanOrEqual(0);
    expect(front.slice(first).filter((v) => v !== '2.0.0')).toEqual([]);
    await eventually('v2 for every caller', 30_000, async () =>
      (await versionVia(ports.other)) === '2.0.0' ? true : undefined,
    );
  }, 240_000);
});
