import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_APP,
  WEIR_BIN,
  eventually,
  freePort,
  runWeir,
  startWeirUp,
  type WeirUp,
} from '../support/weir-process.js';

const WEB_ID = 'web.test.serviceaccount.identity.weir.cluster.local';
const FRONT_ID = 'default.test.serviceaccount.identity.weir.cluster.local';

/** an app that answers each request by calling Service test/web through its sidecar (WEIR_OUTBOUND) */
const FRONT_APP = `import http from 'node:http';
const proxy = new URL(process.env.WEIR_OUTBOUND);
http.createServer((req, res) => {
  const target = 'http://web.test:' + process.env.WEB_PORT + req.url;
  const r = http.request({ host: proxy.hostname, port: Number(proxy.port), path: target }, (up) => {
    res.writeHead(up.statusCode, { 'x-front': 'yes' });
    up.pipe(res);
  });
  r.on('error', (e) => { res.writeHead(599); res.end(String(e)); });
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

function manifests(webPort: number, frontPort: number, frontApp: string): string {
  const deployment = (name: string, sa: string, args: string, env: string, port: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      ${sa}
      terminationGracePeriodSeconds: 2
      containers:
        - name: ${name}
          image: example.com/${name}:1
          command: [node]
          args: [${args}]
          env: [${env}]
          ports: [{ name: http, containerPort: ${port} }]
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${name === 'web' ? webPort : frontPort}, targetPort: http }]
`;
  return `${deployment('web', 'serviceAccountName: web', JSON.stringify(SAMPLE_APP), '{ name: VERSION, value: "1.0.0" }', 9898)}---
${deployment('front', '', JSON.stringify(frontApp), `{ name: WEB_PORT, value: "${webPort}" }`, 8080)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web-route, namespace: test }
spec:
  parentRefs: [{ group: core, kind: Service, name: web, port: ${webPort} }]
  rules:
    - backendRefs: [{ name: web, port: ${webPort} }]
`;
}

/** a long-running `weir` command: its output as it comes, a bounded wait for some, SIGINT to stop it */
interface Running {
  child: ChildProcess;
  stdout(): string;
  until(what: string, accept: (out: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

function startWeir(args: string[]): Running {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    stdout: () => out,
    until: (what, accept, timeoutMs = 60_000) =>
      eventually(`weir ${args.join(' ')}: ${what} (stdout so far:\n${out}\nstderr:\n${err})`, timeoutMs, async () =>
        accept(out) ? out : undefined,
      ),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

/** the cells of a table's lines with the numbers that vary replaced: `99.12%` -> `N%`, `3ms`, `2.5rps`, `4` */
function normalise(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) =>
      line.split(/ {3,}/).map((c) =>
        c
          .replace(/^\d+(\.\d+)?%$/, 'N%')
          .replace(/^\d+\.\d+rps$/, 'Nrps')
          .replace(/^\d+ms$/, 'Nms')
          .replace(/^\d+$/, 'N'),
      ),
    );
}

async function send(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe('weir stat, edges, tap and top against weir up with real sidecars', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let webPort: number;
  let frontPort: number;
  let load: NodeJS.Timeout | undefined;
  const api = () => ['--api', up!.api];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-viz-'));
    webPort = await freePort();
    frontPort = await freePort();
    const frontApp = join(dir, 'front.mjs');
    await writeFile(frontApp, FRONT_APP);
    await writeFile(join(dir, 'app.yaml'), manifests(webPort, frontPort, frontApp));
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state'), '--no-controller']);
    // front -> its sidecar -> (mTLS) -> web's sidecar -> web
    await eventually('front to reach web', 60_000, async () =>
      (await send(`http://127.0.0.1:${frontPort}/version`)) === 200 ? true : undefined,
    );
    // steady load: /version through front (meshed, mTLS to web), and straight to web from outside the
    // mesh (plaintext) /version, every fourth time /status/500 (never 7 failures in a row: weir up's
    // listener would eject the endpoint, as Linkerd's failure accrual does)
    let tick = 0;
    load = setInterval(() => {
      void send(`http://127.0.0.1:${frontPort}/version`);
      void send(`http://127.0.0.1:${webPort}/${tick++ % 4 === 0 ? 'status/500' : 'version'}`);
    }, 50);
  }, 120_000);

  afterAll(async () => {
    clearInterval(load);
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('stat deploy: one row per Deployment with Linkerd columns, measured over the window', async () => {
    const r = await runWeir(['stat', 'deploy', '-n', 'test', '--window', '2s', ...api()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(normalise(r.stdout)).toEqual([
      ['NAME', 'MESHED', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99', 'TCP_CONN'],
      ['front', '1/1', 'N%', 'Nrps', 'Nms', 'Nms', 'Nms', 'N'],
      ['web', '1/1', 'N%', 'Nrps', 'Nms', 'Nms', 'Nms', 'N'],
    ]);
    const web = r.stdout
      .split('\n')
      .find((l) => l.startsWith('web'))!
      .split(/ {3,}/);
    // web answers 500 to an eighth of its requests
    expect(parseFloat(web[2]!)).toBeLessThan(97);
    expect(parseFloat(web[2]!)).toBeGreaterThan(60);
    expect(parseFloat(web[3]!)).toBeGreaterThan(1);
  }, 120_000);

  it('stat deploy NAME -o json: Linkerd fields, the TLS share of the meshed callers', async () => {
    const r = await runWeir(['stat', 'deploy/web', '-n', 'test', '-o', 'json', '--window', '2s', ...api()]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.keys(row)).toEqual([
      'namespace',
      'kind',
      'name',
      'meshed',
      'success',
      'rps',
      'latency_ms_p50',
      'latency_ms_p95',
      'latency_ms_p99',
      'tcp_open_connections',
      'tls',
      'requests',
    ]);
    expect(row).toMatchObject({ namespace: 'test', kind: 'deployment', name: 'web', meshed: '1/1' });
    for (const k of ['success', 'rps', 'latency_ms_p50', 'latency_ms_p99', 'tls']) expect(typeof row[k]).toBe('number');
    // half of web's requests come from front over mTLS, the rest from outside in plaintext
    expect(row.tls as number).toBeGreaterThan(0.25);
    expect(row.tls as number).toBeLessThan(0.75);
  }, 120_000);

  it('stat pod, svc and route; -o wide adds TLS; -A adds NAMESPACE', async () => {
    const pods = await runWeir(['stat', 'pod', '-n', 'test', '-o', 'wide', '--window', '1s', ...api()]);
    expect(pods.code).toBe(0);
    const p = normalise(pods.stdout);
    expect(p[0]).toEqual([
      'NAME',
      'STATUS',
      'MESHED',
      'SUCCESS',
      'RPS',
      'LATENCY_P50',
      'LATENCY_P95',
      'LATENCY_P99',
      'TCP_CONN',
      'TLS',
    ]);
    expect(p.slice(1).map((c) => [c[0]!.replace(/-[a-z0-9]+-[a-z0-9]+$/, '-POD'), ...c.slice(1, 3), c[9]])).toEqual([
      ['front-POD', 'Running', '1/1', 'N%'],
      ['web-POD', 'Running', '1/1', 'N%'],
    ]);

    const svc = await runWeir(['stat', 'svc', 'web', '-A', '--window', '1s', ...api()]);
    expect(svc.code).toBe(0);
    expect(normalise(svc.stdout)).toEqual([
      ['NAMESPACE', 'NAME', 'MESHED', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99', 'TCP_CONN'],
      ['test', 'web', '1/1', 'N%', 'Nrps', 'Nms', 'Nms', 'Nms', 'N'],
    ]);

    // the route counts what meshed clients sent by it: front's /version only, all successful
    const route = await runWeir(['stat', 'route', '-n', 'test', '--window', '2s', ...api()]);
    expect(route.code).toBe(0);
    expect(normalise(route.stdout)).toEqual([
      ['NAME', 'SERVICE', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99'],
      ['web-route', 'web', 'N%', 'Nrps', 'Nms', 'Nms', 'Nms'],
    ]);
    expect(route.stdout).toContain('100.00%');
  }, 120_000);

  it('stat: an unknown name is NotFound (1), an unknown type or format a usage error (2)', async () => {
    const [missing, type, format, window] = await Promise.all([
      runWeir(['stat', 'deploy', 'nope', '-n', 'test', '--window', '0', ...api()]),
      runWeir(['stat', 'canary', ...api()]),
      runWeir(['stat', 'deploy', '-o', 'yaml', ...api()]),
      runWeir(['stat', 'deploy', '--window', 'soon', ...api()]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nope" not found');
    expect(type.code).toBe(2);
    expect(type.stderr.trim()).toBe('error: unknown resource type "canary" (want deploy, pod, svc, route)');
    expect(format.code).toBe(2);
    expect(window.code).toBe(2);
    expect(window.stderr.trim()).toBe('error: --window must be a duration from 0 to 10m (got "soon")');
  }, 120_000);

  it('edges: front -> web secured by mTLS, with both identities in -o wide and JSON', async () => {
    const r = await runWeir(['edges', '-n', 'test', ...api()]);
    expect(r.code).toBe(0);
    expect(normalise(r.stdout)).toEqual([
      ['SRC', 'DST', 'SRC_NS', 'DST_NS', 'SECURED'],
      ['front', 'web', 'test', 'test', '√'],
    ]);
    const wide = await runWeir(['edges', 'deploy', '-n', 'test', '-o', 'wide', ...api()]);
    expect(normalise(wide.stdout)).toEqual([
      ['SRC', 'DST', 'SRC_NS', 'DST_NS', 'SECURED', 'CLIENT_ID', 'SERVER_ID', 'MSG'],
      ['front', 'web', 'test', 'test', '√', FRONT_ID, WEB_ID, '-'],
    ]);
    const json = await runWeir(['edges', 'pod', '-n', 'test', '-o', 'json', ...api()]);
    const edges = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      src_namespace: 'test',
      dst_namespace: 'test',
      client_id: FRONT_ID,
      server_id: WEB_ID,
      no_tls_reason: null,
      secured: true,
    });
    expect(edges[0]!.src).toMatch(/^front-/);
    expect(edges[0]!.dst).toMatch(/^web-/);
    expect(edges[0]!.requests as number).toBeGreaterThan(0);
  }, 120_000);

  it('tap deploy/NAME: live requests and responses of its pods, filtered by path and method', async () => {
    const tap = startWeir(['tap', 'deploy/web', '-n', 'test', '--path', '/version', '--method', 'GET', ...api()]);
    try {
      const out = await tap.until('a request and its response', (o) => /^rsp .*:status=200/m.test(o));
      const lines = out.trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      // from front over mTLS, or from outside the mesh in plaintext
      for (const l of lines)
        expect(l).toMatch(
          /^(req|rsp) id=\d+:\d+ proxy=in {2}src=127\.0\.0\.1:\d+ dst=127\.0\.0\.1:\d+ tls=(true|false) /,
        );
      expect(lines.find((l) => l.startsWith('req'))).toMatch(/ :method=GET :authority=\S+ :path=\/version$/);
      expect(lines.find((l) => l.startsWith('rsp'))).toMatch(/ :status=200 latency=\d+µs$/);
      // /status/500 goes to web too, but not through the filter
      expect(out).not.toContain('/status');
    } finally {
      expect(await tap.stop()).toBe(0);
    }

    const json = startWeir(['tap', 'deploy/web', '-n', 'test', '--path', '/status', '-o', 'json', ...api()]);
    try {
      const out = await json.until('a 500', (o) => o.includes('"type":"response"'));
      const rsp = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((e) => e.type === 'response')!;
      expect(rsp).toMatchObject({
        direction: 'inbound',
        namespace: 'test',
        deployment: 'web',
        method: 'GET',
        path: '/status/500',
        status: 500,
        tls: false,
        dst: { identity: WEB_ID },
      });
      expect(typeof rsp.latencyMs).toBe('number');
    } finally {
      expect(await json.stop()).toBe(0);
    }
  }, 120_000);

  it('tap deploy/front -o wide shows its outbound requests to web, over mTLS, with both ends', async () => {
    const tap = startWeir(['tap', 'deploy/front', '-n', 'test', '-o', 'wide', ...api()]);
    try {
      const out = await tap.until('an outbound response', (o) => /^rsp .*proxy=out/m.test(o));
      const line = out.split('\n').find((l) => /^rsp .*proxy=out/.test(l))!;
      expect(line).toMatch(/ tls=true :status=200 latency=\d+µs src_res=deploy\/front src_ns=test /);
      expect(line).toContain(
        `src_id=${FRONT_ID} dst_res=deploy/web dst_ns=test dst_svc=test/web:${webPort} dst_id=${WEB_ID}`,
      );
    } finally {
      expect(await tap.stop()).toBe(0);
    }
  }, 120_000);

  it('tap of something that does not exist: NotFound (1); a bad filter: usage (2)', async () => {
    const [missing, bad] = await Promise.all([
      runWeir(['tap', 'deploy/nope', '-n', 'test', ...api()]),
      runWeir(['tap', 'deploy/web', '--path', 'version', ...api()]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nope" not found');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('error: --path must start with "/" (got "version")');
  }, 120_000);

  it('top: the busiest path first, printed as plain tables when not a terminal', async () => {
    const top = startWeir(['top', '-n', 'test', '--interval', '500ms', ...api()]);
    try {
      // a table with both paths: /version many times as busy as /status/500
      const out = await top.until('a table with both paths', (o) =>
        o.split('\n\n').some((t) => t.includes('/version') && t.includes('/status/500')),
      );
      const table = out
        .split('\n\n')
        .filter((t) => t.includes('/version') && t.includes('/status/500'))
        .at(-1)!;
      const rows = normalise(table);
      expect(rows[0]).toEqual(['SOURCE', 'DESTINATION', 'METHOD', 'PATH', 'COUNT', 'BEST', 'WORST', 'LAST', 'SUCCESS']);
      expect(rows[1]![3]).toBe('/version');
      const status = rows.find((r) => r[3] === '/status/500')!;
      expect(status[0]).toBe('127.0.0.1');
      expect(status[1]).toMatch(/^web-/);
      expect(status[8]).toBe('N%');
      expect(table).toMatch(/\/status\/500 .* 0\.00%$/m);
      // front's calls to web are counted once, at web, from front's identity
      expect(rows.some((r) => r[0] === 'default.test' && r[1]!.startsWith('web-') && r[3] === '/version')).toBe(true);
      expect(rows.some((r) => r[0]!.startsWith('front-'))).toBe(false);
    } finally {
      expect(await top.stop()).toBe(0);
    }
  }, 120_000);
});
