import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_APP, eventually, freePort, startWeirUp, type WeirUp } from '../../support/weir-process.js';

function workload(name: string, port: number, env: string, readyPath: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: ${name}
          image: example.com/${name}:1
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [${env}]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: ${readyPath}, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
`;
}

interface Answer {
  status: number;
  ms: number;
}

async function timed(agent: Agent, port: number): Promise<Answer> {
  const t0 = performance.now();
  const r = await request(`http://127.0.0.1:${port}/`, {
    dispatcher: agent,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  await r.body.text();
  return { status: r.statusCode, ms: performance.now() - t0 };
}

// A backend that hangs (every request waits 10 min: LATENCY_MS) behind an HTTPRoute with a 1 s request timeout,
// and a Service whose only pod is never ready: their callers get 504 and 503 within bounds (the route's timeout;
// the outbound queue's fail-fast, 3 s), nothing piles up, and a third Service called at the same time answers
// every request.
describe('a slow or hanging backend', () => {
  let dir: string;
  let up: WeirUp | undefined;
  const ports = { slow: 0, down: 0, fast: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-slow-'));
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    await writeFile(
      join(dir, 'app.yaml'),
      workload('slow', ports.slow, '{ name: LATENCY_MS, value: "600000" }', '/readyz') +
        workload('down', ports.down, '', '/status/503') +
        workload('fast', ports.fast, '', '/readyz') +
        `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: slow, namespace: test }
spec:
  parentRefs: [{ group: core, kind: Service, name: slow, port: ${ports.slow} }]
  rules:
    - backendRefs: [{ name: slow, port: ${ports.slow} }]
      timeouts: { request: 1s }
`,
    );
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')], {}, 60_000);
  }, 90_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('answers the hanging route 504 and the unready one 503 in bounded time, while the other route serves every request', async () => {
    const agent = new Agent({ connections: 100 });
    try {
      await eventually('fast to answer', 120_000, async () =>
        (await timed(agent, ports.fast)).status === 200 ? true : undefined,
      );
      await eventually('slow to be routed (a 504, not a 503 for want of endpoints)', 120_000, async () =>
        (await timed(agent, ports.slow)).status === 504 ? true : undefined,
      );
      // 40 requests at once to the hanging backend, 10 to the unready one, and 200 to the healthy one meanwhile
      const slow = Promise.all(Array.from({ length: 40 }, () => timed(agent, ports.slow)));
      const down = Promise.all(Array.from({ length: 10 }, () => timed(agent, ports.down)));
      const fast: Answer[] = [];
      for (let i = 0; i < 200; i++) fast.push(await timed(agent, ports.fast));
      const [s, d] = await Promise.all([slow, down]);
      expect(new Set(s.map((a) => a.status))).toEqual(new Set([504]));
      expect(new Set(d.map((a) => a.status))).toEqual(new Set([503]));
      // bounded: the 1 s timeout and the 3 s fail-fast, with slack for a loaded machine, never the 10 min
      expect(Math.max(...s.map((a) => a.ms))).toBeLessThan(20_000);
      expect(Math.min(...s.map((a) => a.ms))).toBeGreaterThanOrEqual(900);
      expect(Math.max(...d.map((a) => a.ms))).toBeLessThan(30_000);
      expect(fast.filter((a) => a.status !== 200)).toEqual([]);
      console.log(
        JSON.stringify({
          slowMaxMs: Math.round(Math.max(...s.map((a) => a.ms))),
          downMaxMs: Math.round(Math.max(...d.map((a) => a.ms))),
          fastMaxMs: Math.round(Math.max(...fast.map((a) => a.ms))),
        }),
      );
    } finally {
      await agent.close();
    }
  }, 300_000);
});
