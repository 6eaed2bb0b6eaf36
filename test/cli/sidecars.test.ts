import { execFileSync, spawn } from 'node:child_process';
import { sidecarPids } from '../support/sidecar-pids.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_APP, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

interface ContainerStatusLike {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: Record<string, unknown>;
}

interface PodLike {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { containers: Array<{ name: string }> };
  status?: { conditions?: Array<{ type: string; status: string }>; containerStatuses?: ContainerStatusLike[] };
}

const proxyStatus = (p: PodLike): ContainerStatusLike | undefined =>
  p.status?.containerStatuses?.find((c) => c.name === 'weir-proxy');

const WEB_ID = 'web.test.serviceaccount.identity.weir.cluster.local';
const FRONT_ID = 'default.test.serviceaccount.identity.weir.cluster.local';

/** an app that answers each request by calling Service test/web through its sidecar (WEIR_OUTBOUND) */
const FRONT_APP = `import http from 'node:http';
const proxy = new URL(process.env.WEIR_OUTBOUND);
http.createServer((req, res) => {
  const target = 'http://web.test:' + process.env.WEB_PORT + req.url;
  const r = http.request({ host: proxy.hostname, port: Number(proxy.port), path: target }, (up) => {
    res.writeHead(up.statusCode, { 'x-front': 'yes', 'x-version': up.headers['x-version'] ?? '' });
    up.pipe(res);
  });
  r.on('error', (e) => { res.writeHead(599); res.end(String(e)); });
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

function manifests(webPort: number, frontPort: number, frontApp: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      serviceAccountName: web
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: test }
spec:
  selector: { app: web }
  ports: [{ name: http, port: ${webPort}, targetPort: http }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: front, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: front } }
  template:
    metadata: { labels: { app: front } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: front
          image: example.com/front:1
          command: [node]
          args: [${JSON.stringify(frontApp)}]
          env: [{ name: WEB_PORT, value: "${webPort}" }]
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: front, namespace: test }
spec:
  selector: { app: front }
  ports: [{ name: http, port: ${frontPort}, targetPort: http }]
`;
}

async function get(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

function isReady(p: PodLike): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

describe('weir up: a sidecar process per pod', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let webPort: number;
  let frontPort: number;

  const pods = async (app: string): Promise<PodLike[]> => {
    const list = (await (await fetch(`${up!.api}/api/v1/namespaces/test/pods?labelSelector=app%3D${app}`)).json()) as {
      items: PodLike[];
    };
    return list.items;
  };
  const readyPod = (app: string, timeoutMs = 40_000): Promise<PodLike> =>
    eventually(`a ready ${app} pod`, timeoutMs, async () => (await pods(app)).find(isReady));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-sidecars-'));
    webPort = await freePort();
    frontPort = await freePort();
    const frontApp = join(dir, 'front.mjs');
    await writeFile(frontApp, FRONT_APP);
    await writeFile(join(dir, 'app.yaml'), manifests(webPort, frontPort, frontApp));
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')]);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 40_000);

  it('runs a certified weir proxy beside each pod, shown on the Pod and by get pods -o wide', async () => {
    const web = await readyPod('web');
    const inbound = web.metadata.annotations?.['weir.io/proxy-inbound'];
    const admin = web.metadata.annotations?.['weir.io/proxy-admin'];
    expect(inbound).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(admin).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sidecarPids(web.metadata.name)).toHaveLength(1);
    expect((await get(`http://${admin}/ready`)).status).toBe(200);
    const config = JSON.parse((await get(`http://${admin}/config`)).body) as { identity?: string };
    expect(config.identity).toBe(WEB_ID);

    const wide = await runWeir(['get', 'pods', '-n', 'test', '-l', 'app=web', '-o', 'wide', '--api', up!.api]);
    expect(wide.code).toBe(0);
    const [head, row] = wide.stdout.split('\n');
    expect(head).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+PROXY-INBOUND\s+PROXY-ADMIN$/);
    expect(row).toContain(`${inbound!}   ${admin!}`);
    // the sidecar is the pod's second container, as linkerd-proxy in an injected pod
    expect(row).toMatch(new RegExp(`^${web.metadata.name}\\s+2/2\\s+Running\\s+0\\s`));
    const json = await runWeir(['get', 'pod', web.metadata.name, '-n', 'test', '-o', 'json', '--api', up!.api]);
    const pod = JSON.parse(json.stdout) as PodLike;
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['web', 'weir-proxy']);
    expect(pod.status?.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount])).toEqual([
      ['web', true, 0],
      ['weir-proxy', true, 0],
    ]);
    expect(proxyStatus(pod)?.state).toHaveProperty('running');
  }, 60_000);

  it("openssl s_client at a sidecar's inbound port sees a chain to the trust anchor naming the workload", async () => {
    const web = await readyPod('web');
    const inbound = web.metadata.annotations!['weir.io/proxy-inbound']!;
    const anchor = join(dir, 'state', 'identity', 'trust-anchor.crt');
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(
        'openssl',
        [
          's_client',
          '-connect',
          inbound,
          '-servername',
          WEB_ID,
          '-CAfile',
          anchor,
          '-showcerts',
          '-verify_return_error',
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let text = '';
      c.stdout.on('data', (d: Buffer) => (text += d.toString()));
      c.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
      c.on('error', reject);
      c.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
      c.stdin.end();
    });
    expect(out).toMatch(/Verify return code: 0 \(ok\)/);
    // the leaf (depth 0) is the workload's, issued by the issuer that the trust anchor signed
    const leaf = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(out)![0];
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: leaf }).toString();
    expect(text).toContain(`DNS:${WEB_ID}`);
    expect(text).toContain('URI:spiffe://');
  });

  it("an app reaches a Service through its own sidecar, over mTLS to the other pod's sidecar", async () => {
    const web = await readyPod('web');
    const front = await readyPod('front');
    // from outside the mesh at front's Service address, then front -> its sidecar -> web's sidecar -> web
    const r = await eventually('front to reach web', 30_000, async () => {
      const x = await get(`http://127.0.0.1:${frontPort}/version`);
      return x.status === 200 ? x : undefined;
    });
    expect(r.headers.get('x-front')).toBe('yes');
    expect(JSON.parse(r.body)).toMatchObject({ version: '1.0.0' });

    const webMetrics = (await get(`http://${web.metadata.annotations!['weir.io/proxy-admin']!}/metrics`)).body;
    expect(webMetrics).toMatch(
      new RegExp(
        `request_total\\{[^}]*direction="inbound"[^}]*pod="${web.metadata.name}"[^}]*tls="true"[^}]*client_id="${FRONT_ID}"`,
      ),
    );
    const frontMetrics = (await get(`http://${front.metadata.annotations!['weir.io/proxy-admin']!}/metrics`)).body;
    expect(frontMetrics).toMatch(new RegExp(`direction="outbound"[^}]*tls="true"[^}]*server_id="${WEB_ID}"`));
  }, 60_000);

  it('restarts a sidecar that dies; its pod is not ready meanwhile, then serves again', async () => {
    const web = await readyPod('web');
    const [pid] = sidecarPids(web.metadata.name);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    const down = await eventually('the web pod to be not ready', 10_000, async () =>
      (await pods('web')).find((p) => p.metadata.name === web.metadata.name && !isReady(p)),
    );
    // READY 1/2 while the sidecar container is restarted; the app's container stays ready
    expect(down.status?.containerStatuses?.map((c) => [c.name, c.ready])).toEqual([
      ['web', true],
      ['weir-proxy', false],
    ]);
    const back = await readyPod('web', 30_000);
    expect(back.metadata.name).toBe(web.metadata.name);
    expect(back.metadata.annotations?.['weir.io/proxy-inbound']).toBe(
      web.metadata.annotations?.['weir.io/proxy-inbound'],
    );
    const [again] = sidecarPids(web.metadata.name);
    expect(again).not.toBe(pid);
    expect(proxyStatus(back)).toMatchObject({ ready: true, restartCount: 1 });
    const row = await runWeir(['get', 'pods', '-n', 'test', '-l', 'app=web', '--api', up!.api]);
    expect(row.stdout).toMatch(new RegExp(`^${back.metadata.name}\\s+2/2\\s+Running\\s+1 \\(\\d+s ago\\)\\s`, 'm'));
    const r = await eventually('web through front again', 30_000, async () => {
      const x = await get(`http://127.0.0.1:${frontPort}/version`);
      return x.status === 200 ? x : undefined;
    });
    expect(r.headers.get('x-front')).toBe('yes');
    const log = await readFile(join(dir, 'state', 'logs', `test_${web.metadata.name}.log`), 'utf8');
    expect(log).toContain('--- sidecar died (restarting it)');
  }, 60_000);

  it('stops every sidecar with weir up', async () => {
    const names = [...(await pods('web')), ...(await pods('front'))].map((p) => p.metadata.name);
    const pids = names.flatMap(sidecarPids);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(await up!.stop()).toBe(0);
    up = undefined;
    expect(names.flatMap(sidecarPids)).toEqual([]);
  }, 40_000);
});
