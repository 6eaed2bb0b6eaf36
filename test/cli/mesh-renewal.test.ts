import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steadyLoad } from '../support/steady-load.js';
import { SAMPLE_APP, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

interface PodLike {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** an app that answers each request by calling Service test/web through its own sidecar (WEIR_OUTBOUND) */
const FRONT_APP = `import http from 'node:http';
const proxy = new URL(process.env.WEIR_OUTBOUND);
const agent = new http.Agent({ keepAlive: true });
http.createServer((req, res) => {
  const r = http.request({ host: proxy.hostname, port: Number(proxy.port), agent, path: 'http://web.test:' + process.env.WEB_PORT + req.url }, (up) => {
    res.writeHead(up.statusCode, { 'x-front': 'yes' });
    up.pipe(res);
  });
  r.on('error', (e) => { res.writeHead(599); res.end(String(e)); });
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

function manifests(webPort: number, frontPort: number, frontApp: string): string {
  const deployment = (name: string, args: string, extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      serviceAccountName: ${name}
      terminationGracePeriodSeconds: 2
      containers:
        - name: ${name}
          image: example.com/${name}:1
          command: [node]
          args: [${JSON.stringify(args)}]
          ports: [{ name: http, containerPort: 8080 }]
${extra}---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${name === 'web' ? webPort : frontPort}, targetPort: http }]
---
`;
  return (
    deployment('web', SAMPLE_APP, '') +
    deployment('front', frontApp, `          env: [{ name: WEB_PORT, value: "${webPort}" }]\n`)
  );
}

const isReady = (p: PodLike): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** identity_cert_refresh_count of the sidecar whose admin port is `admin` (certificates it got so far) */
async function refreshes(admin: string): Promise<number> {
  const text = await (await fetch(`http://${admin}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const m = /^identity_cert_refresh_count (\d+)$/m.exec(text);
  if (m === null) throw new Error(`no identity_cert_refresh_count at ${admin}`);
  return Number(m[1]);
}

describe('weir up --identity-cert-lifetime: certificates renewed under load', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let frontPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-renewal-'));
    const webPort = await freePort();
    frontPort = await freePort();
    const frontApp = join(dir, 'front.mjs');
    await writeFile(frontApp, FRONT_APP);
    await writeFile(join(dir, 'app.yaml'), manifests(webPort, frontPort, frontApp));
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state'), '--identity-cert-lifetime', '6s']);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('drops no request while both sidecars renew their 6 s certificates, meshed over mTLS', async () => {
    const pods = async (): Promise<PodLike[]> =>
      ((await (await fetch(`${up!.api}/api/v1/namespaces/test/pods`)).json()) as { items: PodLike[] }).items;
    // a loaded machine may take a while to start two apps and two sidecars: generous bound
    const ready = await eventually('two ready pods', 120_000, async () => {
      const ps = (await pods()).filter(isReady);
      return ps.length === 2 ? ps : undefined;
    });
    const admins = ready.map((p) => p.metadata.annotations!['weir.io/proxy-admin']!);
    // outside -> front's Service -> front's sidecar -> front -> its sidecar -(mTLS)-> web's sidecar -> web
    const agent = new Agent({ keepAliveTimeout: 1_000 });
    const send = async (): Promise<string | undefined> => {
      const r = await request(`http://127.0.0.1:${frontPort}/version`, {
        dispatcher: agent,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = await r.body.text();
      return r.statusCode === 200 && r.headers['x-front'] === 'yes'
        ? undefined
        : `${r.statusCode}: ${body.slice(0, 200)}`;
    };
    await eventually('front to reach web', 30_000, async () => ((await send()) === undefined ? true : undefined));

    const before = await Promise.all(admins.map(refreshes));
    const load = steadyLoad(send, 4, 20);
    let after: number[] = before;
    try {
      // at least two renewals in each sidecar (a 6 s certificate renews every 4.2 s) while requests flow (at
      // least 40 of them: a loaded machine carries few requests per second over these four hops)
      await eventually('two renewals in each sidecar under load', 60_000, async () => {
        after = await Promise.all(admins.map(refreshes));
        return after.every((n, i) => n >= before[i]! + 2) && load.tally().ok >= 40 ? true : undefined;
      });
    } finally {
      const tally = await load.stop();
      await agent.close();
      expect(tally.failures).toEqual([]);
      expect(tally.failed).toBe(0);
      expect(tally.ok).toBeGreaterThanOrEqual(40);
    }
    expect(after.every((n, i) => n >= before[i]! + 2)).toBe(true);
    // the calls from front to web were mutual TLS all along
    const webAdmin = admins.find((_, i) => ready[i]!.metadata.name.startsWith('web-'))!;
    const metrics = await (await fetch(`http://${webAdmin}/metrics`)).text();
    expect(metrics).toMatch(
      /request_total\{[^}]*direction="inbound"[^}]*tls="true"[^}]*client_id="front\.test\.serviceaccount\.identity\.weir\.cluster\.local"/,
    );
  }, 240_000);

  it('refuses a lifetime that is not a Go duration of at least 1s, naming the flag', async () => {
    for (const bad of ['soon', '500ms']) {
      const r = await runWeir(['up', dir, '--identity-cert-lifetime', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `weir up: --identity-cert-lifetime must be a Go duration of at least 1s (for example 30s or 24h), got "${bad}"`,
      );
    }
  }, 120_000);
});
