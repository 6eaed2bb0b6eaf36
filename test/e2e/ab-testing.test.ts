import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_APP, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

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

interface CanaryLike {
  status?: { phase?: string };
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

  async function phase(): Promise<string | undefined> {
    const r = await runWeir(['get', 'canary', 'podinfo', '-n', 'test', '-o', 'json', '--api', up!.api]);
    return r.code === 0 ? (JSON.parse(r.stdout) as CanaryLike).status?.phase : undefined;
  }

  it('sends only matching requests to v2 until promotion, then everyone', async () => {
    await eventually('the canary to initialize', 40_000, async () =>
      (await phase()) === 'Initialized' ? true : undefined,
    );
    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, manifests(port, '2.0.0'));
    expect((await runWeir(['apply', '-f', v2, '--api', up!.api])).code).toBe(0);

    const plain = new Map<string, number>();
    // matching requests in the order sent: before the router's first A/B step they still reach v1
    const insiders: string[] = [];
    const cookies: string[] = [];
    const bump = (m: Map<string, number>, v: string | null) => m.set(v ?? 'none', (m.get(v ?? 'none') ?? 0) + 1);
    let final: string | undefined;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const p = await phase();
      if (p === 'Succeeded' || p === 'Failed') {
        final = p;
        break;
      }
      if (p === 'Progressing') {
        for (let i = 0; i < 10; i++) {
          bump(plain, await versionOf(port));
          insiders.push((await versionOf(port, { 'x-canary': 'insider' })) ?? 'none');
          // Flagger's documented cookie regex expects `canary=always` first or right after a `;` without a space
          cookies.push((await versionOf(port, { cookie: 'canary=always; theme=dark' })) ?? 'none');
        }
      } else {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(final).toBe('Succeeded');
    // during the analysis: not one ordinary user saw v2
    expect([...plain.keys()]).toEqual(['1.0.0']);
    // once the A/B route is in place, every matching request is answered by v2 until promotion
    for (const seen of [insiders, cookies]) {
      const first = seen.indexOf('2.0.0');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(seen.slice(first).filter((v) => v !== '2.0.0')).toEqual([]);
    }
    // after promotion everyone gets v2 from the primary
    await eventually('v2 for everyone', 20_000, async () => ((await versionOf(port)) === '2.0.0' ? true : undefined));
  }, 150_000);
});
