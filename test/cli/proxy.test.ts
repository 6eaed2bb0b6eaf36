import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { meshYaml, type MeshFileOptions } from '../support/proxy-mesh.js';
import { eventually, freePort, runWeir } from '../support/weir-process.js';
import { startWeirProxy, type WeirProxy } from '../support/weir-proxy-process.js';
import { startOtlpReceiver } from '../proxy/support/otlp-receiver.js';

/** a backend that answers its name; `/hold` waits until the test releases it */
interface Backend {
  server: Server;
  port: number;
  held: Array<() => void>;
  arrived: Array<() => void>;
}

async function backend(name: string): Promise<Backend> {
  const b: Backend = { server: undefined as unknown as Server, port: 0, held: [], arrived: [] };
  b.server = createServer((req, res) => {
    const answer = () => res.end(`${name}\n`);
    if (req.url === '/hold') {
      b.held.push(answer);
      for (const a of b.arrived.splice(0)) a();
    } else answer();
  });
  await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', r));
  b.port = (b.server.address() as AddressInfo).port;
  return b;
}

function arrival(b: Backend): Promise<void> {
  return new Promise((resolve) => b.arrived.push(resolve));
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

function curl(url: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sS', '--max-time', '5', url], (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

async function tally(url: string, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    expect(r.status).toBe(200);
    const k = r.body.trim();
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function refuses(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':') as [string, string];
  return new Promise((resolve) => {
    const s = connect(Number(port), host);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** write as editors and ConfigMap volumes do: a new file renamed over the old one */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('weir proxy', () => {
  let dir: string;
  let v1: Backend;
  let v2: Backend;
  let app: Backend;
  const running: WeirProxy[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-proxy-'));
    [v1, v2, app] = await Promise.all([backend('v1'), backend('v2'), backend('app')]);
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const b of [v1, v2, app]) for (const h of b.held.splice(0)) h();
  });
  afterAll(async () => {
    for (const b of [v1, v2, app]) {
      b.server.closeAllConnections();
      await new Promise((r) => b.server.close(r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function meshFile(name: string, o: Partial<MeshFileOptions> = {}): Promise<{ file: string; port: number }> {
    const port = o.port ?? (await freePort());
    const file = join(dir, name);
    await writeFile(file, meshYaml({ port, v1: v1.port, v2: v2.port, ...o }));
    return { file, port };
  }

  async function proxy(args: string[]): Promise<WeirProxy> {
    const p = await startWeirProxy(args);
    running.push(p);
    return p;
  }

  it('routes a 90/10 HTTPRoute through the outbound port to the EndpointSlices’ backends', async () => {
    const template = `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: { name: m, namespace: test }\nspec: { provider: { type: prometheus, address: "http://127.0.0.1:9090" }, query: "1" }\n`;
    const { file, port } = await meshFile('split.yaml', { extra: template });
    const p = await proxy(['--config', file]);
    await p.waitFor('stderr', /^weir proxy: warning: \S+split\.yaml: MetricTemplate test\/m left out: /m);

    expect(p.outbound.get(`test/web:${port}`)).toBe(`127.0.0.1:${port}`);
    expect(p.stdout()).toMatch(new RegExp(`^weir proxy: admin on 127\\.0\\.0\\.1:${p.adminPort}$`, 'm'));
    expect(['v1\n', 'v2\n']).toContain(await curl(`http://127.0.0.1:${port}/`));
    const seen = await tally(`http://127.0.0.1:${port}/`, 100);
    expect(seen.v1).toBeGreaterThanOrEqual(80);
    expect(seen.v2).toBeGreaterThanOrEqual(3);
    expect((seen.v1 ?? 0) + (seen.v2 ?? 0)).toBe(100);
  });

  it('exports a span per hop of a sampled request to --trace-collector, and refuses a collector that is no URL', async () => {
    const otlp = await startOtlpReceiver();
    try {
      const { file, port } = await meshFile('traced.yaml', { weights: [1, 0] });
      await proxy(['--config', file, '--trace-collector', otlp.url, '--deployment', 'web']);
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const r = await get(`http://127.0.0.1:${port}/`, {
        headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
      });
      expect(r.body).toBe('v1\n');
      const [span] = await otlp.waitForSpans(1, 10_000);
      expect(span).toMatchObject({ traceId: trace, parentSpanId: '00f067aa0ba902b7' });
      expect(span?.resource['service.name']).toBe('web');
    } finally {
      await otlp.close();
    }
    const bad = await runWeir(['proxy', '--config', 'x.yaml', '--trace-collector', 'collector:4318']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--trace-collector must be an http\(s\) URL/);
  });

  it('runs the inbound side in front of the app, and one admin port serves both sides’ metrics with the pod labels', async () => {
    const { file, port } = await meshFile('inbound.yaml', { weights: [1, 0] });
    const p = await proxy([
      '--config',
      file,
      '--app-port',
      String(app.port),
      '--namespace',
      'test',
      '--pod',
      'web-7d9f-x2kq9',
      '--deployment',
      'web',
    ]);

    expect(p.stdout()).toMatch(
      new RegExp(`^weir proxy: inbound on 127\\.0\\.0\\.1:${p.inboundPort} -> app 127\\.0\\.0\\.1:${app.port}$`, 'm'),
    );
    expect(await curl(`http://127.0.0.1:${String(p.inboundPort)}/`)).toBe('app\n');
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);

    const admin = `http://127.0.0.1:${p.adminPort}`;
    const metrics = await curl(`${admin}/metrics`);
    const labels = 'namespace="test",deployment="web",pod="web-7d9f-x2kq9"';
    expect(metrics).toContain(
      `request_total{direction="inbound",${labels},authority="127.0.0.1:${String(p.inboundPort)}"} 1`,
    );
    expect(metrics).toMatch(
      new RegExp(
        `^request_total\\{direction="outbound",${labels},authority="web\\.test\\.svc\\.cluster\\.local:${port}",dst_namespace="test",dst_service="web-v1"\\} 1$`,
        'm',
      ),
    );
    expect(metrics).toMatch(/^response_total\{direction="inbound",.*classification="success",status_code="200"\} 1$/m);
    expect(metrics).toMatch(/^response_latency_ms_bucket\{direction="outbound",.*le="\+Inf"\} 1$/m);
    // one exposition: each family once, as Prometheus' own parser wants it
    expect(metrics.match(/^# TYPE request_total /gm)).toHaveLength(1);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 10_000 });
    expect(promtool.error).toBeUndefined();
    expect(promtool.stderr + promtool.stdout).not.toMatch(/error|parsing/i);

    expect(await get(`${admin}/ready`)).toEqual({ status: 200, body: 'ready\n' });
    expect(await get(`${admin}/live`)).toEqual({ status: 200, body: 'live\n' });
    const config = JSON.parse((await get(`${admin}/config`)).body) as Record<string, { direction?: string }>;
    expect(config.outbound?.direction).toBe('outbound');
    expect(config.inbound?.direction).toBe('inbound');
  });

  it('applies a change of the file, and rejects a malformed one with file and field while traffic keeps flowing', async () => {
    const { file, port } = await meshFile('watched.yaml');
    const p = await proxy(['--config', file]);
    const url = `http://127.0.0.1:${port}/`;
    const extraPort = await freePort();
    const extra = `apiVersion: v1\nkind: Service\nmetadata: { name: extra, namespace: test }\nspec: { ports: [{ name: http, port: ${extraPort} }] }\n`;

    await replaceFile(file, meshYaml({ port, v1: v1.port, v2: v2.port, weights: [0, 100], extra }));
    await p.waitFor('stdout', /^weir proxy: config \S+watched\.yaml applied \(version \d+, 7 objects\)$/m);
    expect(p.stdout()).toContain(`weir proxy: outbound test/extra:${extraPort} on 127.0.0.1:${extraPort}\n`);
    expect(await tally(url, 20)).toEqual({ v2: 20 });

    await replaceFile(file, meshYaml({ port, v1: v1.port, v2: v2.port, weights: ['ten', 100] }));
    const rejected = await p.waitFor('stderr', /^weir proxy: config rejected: keeping version \d+$/m);
    expect(p.stderr()).toContain(
      `weir proxy: config rejected: ${file}[6] spec.rules[0].backendRefs[0].weight: expected a number, got "ten"\n`,
    );
    expect(rejected.index).toBeGreaterThan(0);
    expect(await tally(url, 20)).toEqual({ v2: 20 });
    expect(p.child.exitCode).toBeNull();
    expect(await refuses(`127.0.0.1:${extraPort}`)).toBe(false);

    // a Service gone from the file: its listener closes
    await replaceFile(file, meshYaml({ port, v1: v1.port, v2: v2.port, weights: [100, 0] }));
    await p.waitFor('stdout', /^weir proxy: config \S+watched\.yaml applied \(version \d+, 6 objects\)$/m);
    expect(p.stdout()).toContain(`weir proxy: outbound test/extra:${extraPort} closed\n`);
    expect(await tally(url, 10)).toEqual({ v1: 10 });
    await eventually('the removed Service port to refuse connections', 5_000, async () =>
      (await refuses(`127.0.0.1:${extraPort}`)) ? true : undefined,
    );
  });

  it('drains in-flight requests on SIGTERM, refuses new connections, and exits 0', async () => {
    const { file, port } = await meshFile('drain.yaml', { weights: [100, 0] });
    const p = await proxy(['--config', file]);

    const arrived = arrival(v1);
    const inflight = get(`http://127.0.0.1:${port}/hold`);
    await arrived;
    p.child.kill('SIGTERM');
    await p.waitFor('stdout', /^weir proxy: draining \(SIGTERM\)$/m);
    // the listener stops accepting while the held request is still in flight
    await eventually('the outbound port to refuse connections', 5_000, async () =>
      (await refuses(`127.0.0.1:${port}`)) ? true : undefined,
    );
    expect(v1.held).toHaveLength(1);
    for (const h of v1.held.splice(0)) h();

    expect(await inflight).toEqual({ status: 200, body: 'v1\n' });
    expect(await p.exited()).toBe(0);
    expect(p.stdout()).toMatch(/^weir proxy: stopped$/m);
  });

  it('drains and exits 0 on POST /shutdown to the admin port', async () => {
    const { file } = await meshFile('shutdown.yaml');
    const p = await proxy(['--config', file, '--app-port', String(app.port)]);

    expect(await get(`http://127.0.0.1:${p.adminPort}/shutdown`)).toMatchObject({ status: 405 });
    expect(await get(`http://127.0.0.1:${p.adminPort}/shutdown`, { method: 'POST' })).toEqual({
      status: 200,
      body: 'shutdown\n',
    });
    expect(await p.exited()).toBe(0);
    expect(p.stdout()).toMatch(/^weir proxy: draining \(\/shutdown\)$/m);
  });

  it('serves again on the same ports after SIGKILL and a restart', async () => {
    const { file, port } = await meshFile('restart.yaml', { weights: [0, 1] });
    const adminPort = await freePort();
    const args = ['--config', file, '--admin-port', String(adminPort)];
    const first = await proxy(args);
    expect(await curl(`http://127.0.0.1:${port}/`)).toBe('v2\n');

    first.child.kill('SIGKILL');
    expect(await first.exited()).toBeNull();
    expect(await refuses(`127.0.0.1:${port}`)).toBe(true);

    const second = await proxy(args);
    expect(second.adminPort).toBe(adminPort);
    expect(await curl(`http://127.0.0.1:${port}/`)).toBe('v2\n');
    expect((await get(`http://127.0.0.1:${adminPort}/ready`)).status).toBe(200);
  });

  it('exits 2 on a bad config at start, naming the file and the field', async () => {
    const { file } = await meshFile('bad.yaml', { weights: [90, -1] });
    const r = await runWeir(['proxy', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`weir proxy: config rejected: ${file}[6] spec.rules[0].backendRefs[1].weight:`);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on bad usage', async () => {
    const { file } = await meshFile('usage.yaml');
    expect((await runWeir(['proxy'])).code).toBe(2);
    const r = await runWeir(['proxy', '--config', file, '--inbound-port', '4143']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--inbound-port needs --app-port');
    expect((await runWeir(['proxy', '--config', file, '--app-port', 'http'])).stderr).toContain(
      '--app-port must be a port number, got "http"',
    );
  });
});
