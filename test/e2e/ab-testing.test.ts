import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateWindows } from '../support/state-windows.js';
import { SAMPLE_APP, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';
import { canaryStatus } from './canary-fixtures.js';

function manifests(port: number, version: string): string {
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
          env: [{ name: VERSION, value: "${version}" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
`;
}

function rest(port: number): string {
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
  progressDeadlineSeconds: 60
  service:
    port: ${port}
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${port} }]
  analysis:
    interval: 1s
    threshold: 3
    iterations: 6
    match:
      - headers: { x-canary: { exact: insider } }
      - headers: { cookie: { regex: "^(.*?;)?(canary=always)(;.*)?$" } }
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 5s
`;
}

async function versionOf(port: number, headers: Record<string, string> = {}): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers, signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.headers.get('x-version');
}

// A/B testing as Flagger runs it on the Gateway API: requests matching the analysis' headers or cookie
// go to the canary for `iterations` ticks; everyone else stays on the primary until promotion.
describe('A/B testing end to end', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-ab-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-ab-apply-'));
    port = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), `${manifests(port, '1.0.0')}---\n${rest(port)}`);
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('sends only matching requests to v2 until promotion, then everyone', async () => {
    await eventually('the canary to initialize', 40_000, async () =>
      (await canaryStatus(up!.api)).phase === 'Initialized' ? true : undefined,
    );
    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, manifests(port, '2.0.0'));
    expect((await runWeir(['apply', '-f', v2, '--api', up!.api])).code).toBe(0);

    // each request is attributed to the phase the Canary's status showed both before and after it was
    // answered; one whose window straddles a transition (Progressing -> Promoting rolls the primary to v2)
    // is dropped
    const windows = new StateWindows(
      () => canaryStatus(up!.api),
      (s) => s.phase ?? 'none',
    );
    const deadline = Date.now() + 90_000;
    let s = await windows.refresh();
    while (Date.now() < deadline && s.phase !== 'Succeeded' && s.phase !== 'Failed') {
      await windows.observe('plain', () => versionOf(port));
      await windows.observe('insider', () => versionOf(port, { 'x-canary': 'insider' }));
      // Flagger's documented cookie regex expects `canary=always` first or right after a `;` without a space
      s = await windows.observe('cookie', () => versionOf(port, { cookie: 'canary=always; theme=dark' }));
    }
    expect(s.phase).toBe('Succeeded');
    // during the analysis: not one ordinary user saw v2
    const plain = windows.during<string | null>('Progressing', 'plain');
    expect(plain.length).toBeGreaterThan(0);
    expect([...new Set(plain)]).toEqual(['1.0.0']);
    // once the A/B route is in place, every matching request is answered by v2 until promotion (before the
    // router's first A/B step they still reach v1)
    for (const tag of ['insider', 'cookie']) {
      const seen = windows.during<string | null>('Progressing', tag);
      const first = seen.indexOf('2.0.0');
      expect(first, `${tag}: ${seen.join(',')}`).toBeGreaterThanOrEqual(0);
      expect(
        seen.slice(first).filter((v) => v !== '2.0.0'),
        tag,
      ).toEqual([]);
    }
    // after promotion everyone gets v2 from the primary
    await eventually('v2 for everyone', 20_000, async () => ((await versionOf(port)) === '2.0.0' ? true : undefined));
  }, 150_000);
});
