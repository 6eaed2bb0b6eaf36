import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileGatePersistence, kvGatePersistence } from '../../rollouts/loadtester/gates.js';
import { parseHeyCommand, parseLoadMetadata, splitWords } from '../../rollouts/loadtester/load.js';
import { startLoadTester, type LoadTester } from '../../rollouts/loadtester/server.js';

const payload = { name: 'podinfo', namespace: 'test', phase: 'Progressing', checksum: 'x' };

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

describe('load tester: gates (flagger-loadtester endpoints)', () => {
  let lt: LoadTester | undefined;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-lt-'));
  });
  afterEach(async () => {
    await lt?.close();
    lt = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('gates start closed; open/close answer 202; check answers 200 Approved or 403; approve/halt are fixed', async () => {
    lt = await startLoadTester();
    expect(await post(`${lt.url}/gate/check`, payload)).toEqual({ status: 403, text: 'Forbidden' });
    expect((await post(`${lt.url}/gate/open`, payload)).status).toBe(202);
    expect(await post(`${lt.url}/gate/check`, payload)).toEqual({ status: 200, text: 'Approved' });
    // another canary's gate is its own
    expect((await post(`${lt.url}/gate/check`, { ...payload, name: 'other' })).status).toBe(403);
    // the rollback switch is separate
    expect((await post(`${lt.url}/rollback/check`, payload)).status).toBe(403);
    expect((await post(`${lt.url}/rollback/open`, payload)).status).toBe(202);
    expect(await post(`${lt.url}/rollback/check`, payload)).toEqual({ status: 200, text: 'Approved' });
    expect((await post(`${lt.url}/rollback/close`, payload)).status).toBe(202);
    expect((await post(`${lt.url}/rollback/check`, payload)).status).toBe(403);
    expect((await post(`${lt.url}/gate/close`, payload)).status).toBe(202);
    expect((await post(`${lt.url}/gate/check`, payload)).status).toBe(403);
    expect(await post(`${lt.url}/gate/approve`, payload)).toEqual({ status: 200, text: 'OK' });
    expect(await post(`${lt.url}/gate/halt`, payload)).toEqual({ status: 403, text: 'Forbidden' });
    expect((await post(`${lt.url}/gate/check`, 'not json')).status).toBe(400);
    expect((await post(`${lt.url}/gate/check`, { name: 'x' })).status).toBe(400);
  });

  it('refuses payloads outside the namespace pattern', async () => {
    lt = await startLoadTester({ namespaceRegexp: '^prod-' });
    expect((await post(`${lt.url}/gate/open`, payload)).status).toBe(403);
    expect((await post(`${lt.url}/gate/open`, { ...payload, namespace: 'prod-a' })).status).toBe(202);
  });

  it('gate state survives a restart (file and key-value persistence)', async () => {
    const file = join(dir, 'gates.json');
    lt = await startLoadTester({ persistence: fileGatePersistence(file) });
    await post(`${lt.url}/gate/open`, payload);
    await post(`${lt.url}/rollback/open`, { ...payload, name: 'b' });
    await lt.close();
    lt = await startLoadTester({ persistence: fileGatePersistence(file) });
    expect((await post(`${lt.url}/gate/check`, payload)).status).toBe(200);
    expect((await post(`${lt.url}/rollback/check`, { ...payload, name: 'b' })).status).toBe(200);
    expect(await (await fetch(`${lt.url}/gates`)).json()).toEqual({ 'podinfo.test': true, 'rollback.b.test': true });
    await lt.close();

    const kv = new Map<string, unknown>();
    const state = {
      getState: <T>(k: string) => kv.get(k) as T | undefined,
      setState: async (k: string, v: unknown) => void kv.set(k, structuredClone(v)),
    };
    lt = await startLoadTester({ persistence: kvGatePersistence(state) });
    await post(`${lt.url}/gate/open`, payload);
    await lt.close();
    expect(kv.get('loadtester/gates')).toEqual({ 'podinfo.test': true });
    lt = await startLoadTester({ persistence: kvGatePersistence(state) });
    expect((await post(`${lt.url}/gate/check`, payload)).status).toBe(200);
  });
});

describe('load tester: tasks', () => {
  let lt: LoadTester | undefined;
  let target: Server;
  let targetUrl: string;
  let hits = 0;
  beforeEach(async () => {
    hits = 0;
    target = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    await lt?.close();
    lt = undefined;
    target.closeAllConnections();
    await new Promise<void>((r) => target.close(() => r()));
  });

  it('parses hey and load specs without a shell', () => {
    expect(splitWords(`hey -H 'X-A: b c' -d "{\\"a\\":1}" http://x/`)).toEqual([
      'hey',
      '-H',
      'X-A: b c',
      '-d',
      '{"a":1}',
      'http://x/',
    ]);
    expect(parseHeyCommand('hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/')).toMatchObject({
      url: 'http://podinfo-canary.test:9898/',
      rate: 20,
      durationMs: 60_000,
      concurrency: 2,
      method: 'GET',
    });
    expect(parseHeyCommand('hey -n 5 -c 1 -m POST http://x/')).toMatchObject({ requests: 5, method: 'POST' });
    expect(() => parseHeyCommand('hey -z 1m; rm -rf / http://x/')).toThrow(/duration/);
    expect(parseLoadMetadata({ url: 'http://x/', rate: '20', duration: '30s', 'header.X-Canary': '1' })).toMatchObject({
      rate: 20,
      durationMs: 30_000,
      headers: { 'X-Canary': '1' },
    });
    expect(() => parseLoadMetadata({ url: 'ftp://x', rate: '1' })).toThrow(/http/);
  });

  it('type load generates traffic at the rate for the duration (202; deduplicated while running)', async () => {
    lt = await startLoadTester();
    const task = { ...payload, metadata: { type: 'load', url: targetUrl, rate: '40', duration: '1500ms' } };
    expect((await post(lt.url, task)).status).toBe(202);
    expect((await post(lt.url, task)).status).toBe(202);
    const tasks = (await (await fetch(`${lt.url}/tasks`)).json()) as { items: unknown[] };
    expect(tasks.items).toHaveLength(1);
    const deadline = Date.now() + 10_000;
    while (lt.tasks().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(lt.tasks()).toHaveLength(0);
    // 40/s for 1.5 s: about 60 (generous bounds on a busy machine)
    expect(hits).toBeGreaterThanOrEqual(30);
    expect(hits).toBeLessThanOrEqual(75);
  });

  it('GET /metrics: requests per task by status (kept after the task ends), tasks started and running, process metrics', async () => {
    lt = await startLoadTester();
    const before = await (await fetch(`${lt.url}/metrics`)).text();
    expect(before).toContain('weir_loadtester_tasks_started_total{kind="load"} 0');
    expect(before).not.toContain('weir_loadtester_requests_total{');
    expect((await post(lt.url, { ...payload, metadata: { cmd: `hey -n 7 -c 1 ${targetUrl}` } })).status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (lt.tasks().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lt.tasks()).toHaveLength(0);
    const res = await fetch(`${lt.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /^weir_loadtester_requests_total\{canary="podinfo\.test",task="[0-9a-f]{16}",kind="load",status="200"\} 7$/m,
    );
    expect(text).toContain('weir_loadtester_tasks_started_total{kind="load"} 1');
    expect(text).toContain('weir_loadtester_tasks_running{kind="load"} 0');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('a hey cmd runs on the built-in generator; other commands need --enable-cmd', async () => {
    lt = await startLoadTester();
    expect((await post(lt.url, { ...payload, metadata: { cmd: `hey -n 7 -c 1 ${targetUrl}` } })).status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (hits < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(hits).toBe(7);
    const refused = await post(lt.url, { ...payload, metadata: { type: 'cmd', cmd: 'touch /tmp/never' } });
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/--enable-cmd/);
    expect((await post(lt.url, { ...payload, metadata: { type: 'bash', cmd: 'true' } })).status).toBe(403);
    for (const type of ['helm', 'helmv3', 'kubectl', 'concord', 'ngrinder']) {
      const r = await post(lt.url, { ...payload, metadata: { type, cmd: 'test podinfo' } });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(new RegExp(`^task type ${type} is not supported by Weir's load tester: .+`));
    }
    expect(await post(lt.url, { ...payload, metadata: { type: 'helm', cmd: 'x' } })).toMatchObject({
      text: expect.stringContaining('run it as type "bash" with --enable-cmd') as unknown,
    });
    expect(await post(lt.url, { ...payload, metadata: { type: 'jmeter', cmd: 'x' } })).toEqual({
      status: 400,
      text: 'unknown task type jmeter',
    });
    expect(await post(lt.url, payload)).toEqual({ status: 400, text: 'metadata not found in payload' });
  });

  it('with commands enabled, bash runs blocking and can return its output', async () => {
    lt = await startLoadTester({ enableCmd: true });
    expect(
      await post(lt.url, { ...payload, metadata: { type: 'bash', cmd: 'echo hello', returnCmdOutput: 'true' } }),
    ).toEqual({ status: 200, text: 'hello\n' });
    const failed = await post(lt.url, { ...payload, metadata: { type: 'bash', cmd: 'echo oops >&2; exit 3' } });
    expect(failed.status).toBe(500);
    expect(failed.text).toContain('oops');
  });
});
