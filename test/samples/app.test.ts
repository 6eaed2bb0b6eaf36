import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv, createApp, type AppConfig } from '../../samples/app/server.js';
import { seeded } from '../support/seeded.js';
import { freePort } from '../../controlplane/runtime/net.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SERVER = join(ROOT, 'samples', 'app', 'server.ts');

interface Reply {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  ms: number;
}

function get(port: number, path = '/', method = 'GET'): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ms: performance.now() - started }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

let servers: Server[] = [];
let children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

async function serve(overrides: Partial<AppConfig> & { env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const { env, ...rest } = overrides;
  const server = createApp({ ...configFromEnv(env ?? {}), ...rest });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('sample app', () => {
  it('answers / with hostname, version and message, and an x-version header', async () => {
    const port = await serve({ env: { VERSION: '2.1.0', MESSAGE: 'hello', HOSTNAME: 'podinfo-abc' } });
    const res = await get(port, '/');
    expect(res.status).toBe(200);
    expect(res.headers['x-version']).toBe('2.1.0');
    expect(JSON.parse(res.body)).toEqual({ hostname: 'podinfo-abc', version: '2.1.0', message: 'hello' });

    const def = await serve({ env: {} });
    expect(JSON.parse((await get(def, '/')).body)).toMatchObject({ version: '1.0.0' });
  });

  it('with TIMESTAMP=true adds a timestamp to / that differs on every answer', async () => {
    const port = await serve({ env: { TIMESTAMP: 'true' } });
    const a = JSON.parse((await get(port, '/')).body) as { timestamp: number };
    const b = JSON.parse((await get(port, '/')).body) as { timestamp: number };
    expect(typeof a.timestamp).toBe('number');
    expect(b.timestamp).not.toBe(a.timestamp);
  });

  it('serves health, status and delay endpoints', async () => {
    const port = await serve();
    expect((await get(port, '/healthz')).status).toBe(200);
    expect((await get(port, '/readyz')).status).toBe(200);
    expect((await get(port, '/status/503')).status).toBe(503);
    expect((await get(port, '/status/418')).status).toBe(418);
    expect((await get(port, '/status/204')).status).toBe(204);
    expect((await get(port, '/nope')).status).toBe(404);
    const delayed = await get(port, '/delay/150');
    expect(delayed.status).toBe(200);
    expect(delayed.ms).toBeGreaterThanOrEqual(149);

    expect((await get(port, '/readyz/disable', 'POST')).status).toBe(202);
    expect((await get(port, '/readyz')).status).toBe(503);
    await get(port, '/readyz/enable', 'POST');
    expect((await get(port, '/readyz')).status).toBe(200);
  });

  it('fails about ERROR_RATE of requests, never the health checks', async () => {
    // the error decisions are drawn from one fixed sequence, so the bound judges the same draws every run
    const port = await serve({ env: { ERROR_RATE: '0.3' }, random: seeded(30) });
    const n = 400;
    let errors = 0;
    for (let i = 0; i < n; i++) if ((await get(port, '/')).status === 500) errors++;
    // binomial(400, 0.3): sd is about 0.023; allow 4 sd either way
    expect(errors / n).toBeGreaterThan(0.208);
    expect(errors / n).toBeLessThan(0.392);
    for (let i = 0; i < 50; i++) {
      expect((await get(port, '/healthz')).status).toBe(200);
      expect((await get(port, '/readyz')).status).toBe(200);
    }

    const never = await serve({ env: { ERROR_RATE: '0' } });
    for (let i = 0; i < 50; i++) expect((await get(never, '/')).status).toBe(200);
    const always = await serve({ env: { ERROR_RATE: '1' } });
    for (let i = 0; i < 20; i++) expect((await get(always, '/')).status).toBe(500);
  });

  it('adds LATENCY_MS to every request but the health checks', async () => {
    const port = await serve({ env: { LATENCY_MS: '120' } });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push((await get(port, '/')).ms);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(119);
    // timers are never early; allow generous scheduling slack late
    expect(times.sort((a, b) => a - b)[5]).toBeLessThan(120 + 250);
    const health: number[] = [];
    for (let i = 0; i < 10; i++) health.push((await get(port, '/healthz')).ms);
    expect(health.sort((a, b) => a - b)[5]).toBeLessThan(60);
  });

  it('runs as a process on PORT and finishes in-flight requests on SIGTERM, exiting 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), VERSION: '3.0.0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the app did not start in 15 s')), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect((await get(port, '/')).headers['x-version']).toBe('3.0.0');

    const inFlight = get(port, '/delay/700');
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    expect(code).toBe(0);
    await expect(get(port, '/')).rejects.toThrow();
  });
});

describe('sample app: DOWNSTREAM_URL', () => {
  it('GET / calls the downstream and reports its status, version and hostname', async () => {
    const backend = await serve({ version: '2.0.0', hostname: 'backend-abc' });
    const front = await serve({ env: { DOWNSTREAM_URL: `http://127.0.0.1:${backend}/` } });
    const r = await get(front);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).downstream).toEqual({ status: 200, version: '2.0.0', hostname: 'backend-abc' });
  });

  it('goes through HTTP_PROXY with the absolute URL as the request target', async () => {
    const backend = await serve({ version: '2.0.0', hostname: 'backend-abc' });
    const targets: string[] = [];
    // a forward proxy that records the request target and sends the request on
    const proxy = (await import('node:http')).createServer((req, res) => {
      targets.push(req.url ?? '');
      const u = new URL(req.url ?? '');
      const up = request({ host: '127.0.0.1', port: backend, path: u.pathname, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end();
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = (proxy.address() as AddressInfo).port;
    const front = await serve({
      env: { DOWNSTREAM_URL: 'http://backend:9898/', HTTP_PROXY: `http://127.0.0.1:${via}` },
    });
    const r = await get(front);
    expect(JSON.parse(r.body).downstream).toMatchObject({ status: 200, version: '2.0.0' });
    expect(targets).toEqual(['http://backend:9898/']);
  });

  it('answers 502 with the error when the downstream cannot be reached', async () => {
    const closed = await freePort();
    const front = await serve({ env: { DOWNSTREAM_URL: `http://127.0.0.1:${closed}/` } });
    const r = await get(front);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).downstream).toMatchObject({ status: 0, error: expect.stringContaining('ECONNREFUSED') });
  });
});
