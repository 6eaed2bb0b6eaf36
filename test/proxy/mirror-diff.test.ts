import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ANNOTATION } from '../../engine/mirror-diff/index.js';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  httpRoute,
  ManualConfigSource,
  service,
  startEcho,
  until,
  type Echo,
} from './support/harness.js';

/**
 * Mirror diffing through the outbound proxy: with the route's `weir.io/mirror-diff-config`, the answer of
 * the RequestMirror backend is compared with the primary's answer to the same request; the client still
 * gets the primary's answer, unchanged.
 */
describe('outbound proxy: mirror diff', () => {
  const apps: Record<string, Echo> = {};
  const svcs: Record<string, ReturnType<typeof service>> = {};
  let source: ManualConfigSource;
  let proxy: OutboundProxy;
  const client = new Client();
  let tick = 0;

  // both apps answer {msg, now, path}; `now` changes on every answer (noise); the canary says "bye" on /changed
  const app =
    (name: string) =>
    (req: IncomingMessage, res: ServerResponse): boolean => {
      const path = req.url ?? '/';
      const msg = name === 'canary' && path.startsWith('/changed') ? 'bye' : 'hi';
      // /big: a stable answer longer than the 1 KiB kept, whose bytes differ in the canary's
      const body = path.startsWith('/big')
        ? JSON.stringify({ big: (name === 'canary' ? 'y' : 'x').repeat(4000) })
        : JSON.stringify({ msg, now: ++tick, path });
      res.writeHead(path.startsWith('/status') && name === 'canary' ? 503 : 200, {
        'content-type': 'application/json',
        'x-version': name,
      });
      res.end(body);
      return true;
    };

  const mesh = (config: Record<string, unknown> | undefined) => {
    const route = httpRoute('web-route', 'web', [
      {
        filters: [
          { type: 'RequestMirror', requestMirror: { backendRef: backend('canary', svcs.canary!.spec.ports[0]!.port) } },
        ],
        backendRefs: [backend('primary', svcs.primary!.spec.ports[0]!.port)],
      },
    ]);
    if (config !== undefined) route.metadata.annotations = { [ROUTE_ANNOTATION]: JSON.stringify(config) };
    return {
      services: Object.values(svcs),
      httpRoutes: [route],
      endpoints: ['primary', 'canary'].map((n) => endpoints(svcs[n]!, [{ port: apps[n]!.port, deployment: n }])),
    };
  };

  beforeAll(async () => {
    for (const n of ['primary', 'canary']) {
      apps[n] = await startEcho(n, app(n));
      svcs[n] = service(n, await freePort());
    }
    svcs.web = service('web', await freePort());
    source = new ManualConfigSource(mesh({ noiseSample: 1, maxBodyBytes: 1024 }));
    proxy = await startOutboundProxy({ configSource: source });
    await proxy.settled();
  });
  afterAll(async () => {
    client.close();
    await proxy?.close();
    for (const a of Object.values(apps)) await a.close();
  });

  const web = () => svcs.web!.spec.ports[0]!.port;
  const totals = () =>
    proxy.mirrorDiffs.view().totals[0] as { compared: number; differing: number; noise: number } | undefined;
  const admin = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${proxy.adminPort}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: r.status, text: await r.text() };
  };

  it('counts no difference for answers that differ only in a field the primary disagrees with itself on', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await client.send(web(), `/same?i=${i}`);
      // the client gets the primary's answer as it was
      expect(r.status).toBe(200);
      expect(r.headers['x-version']).toBe('primary');
      expect(JSON.parse(r.body)).toMatchObject({ msg: 'hi', path: `/same?i=${i}` });
    }
    await until(() => (totals()?.compared ?? 0) >= 10, 5_000);
    // `now` differs on every pair; the second primary sample taught the proxy it is noise (the first
    // request is compared after its own second sample was learnt: no difference is counted at all)
    expect(totals()).toMatchObject({ compared: 10, differing: 0 });
    expect(totals()!.noise).toBeGreaterThan(0);
    expect(proxy.mirrorDiffs.view().noise).toEqual({ 'default/web-route default/primary': ['$.now'] });
  });

  it('counts and shows a changed JSON field, a changed status, and a cut body compared by bytes', async () => {
    await client.send(web(), '/changed/1');
    await client.send(web(), '/status/x');
    await client.send(web(), '/big');
    await until(() => (totals()?.differing ?? 0) >= 3, 5_000);
    const shown = proxy.mirrorDiffs.view().differences;
    expect(shown.map((d) => `${d.method} ${d.path} ${d.differences.map((x) => x.field).join(',')}`)).toEqual([
      'GET /big body',
      'GET /status/x status',
      'GET /changed/1 $.msg',
    ]);
    expect(shown[2]!.differences[0]).toMatchObject({ reason: 'field-value', primary: '"hi"', canary: '"bye"' });
    const metrics = (await admin('/metrics')).text;
    const labels =
      'route="default/web-route",primary_namespace="default",primary_service="primary",mirror_namespace="default",mirror_service="canary"';
    expect(metrics).toContain(`mirror_diff_requests_total{${labels}} 13`);
    expect(metrics).toContain(`mirror_diff_differing_total{${labels}} 3`);
    expect(metrics).toContain(`mirror_diff_differences_total{${labels},reason="field-value"} 1`);
    expect(metrics).toContain(`mirror_diff_differences_total{${labels},reason="status"} 1`);
    const page = JSON.parse((await admin('/mirror-diffs?limit=1')).text) as { differences: Array<{ path: string }> };
    expect(page.differences.map((d) => d.path)).toEqual(['/big']);
    expect((await admin('/mirror-diffs?limit=x')).status).toBe(400);
  });

  it('asks the primary a second time only for GET and HEAD', async () => {
    const before = apps.primary!.seen.length;
    const r = await client.send(web(), '/changed/post', { method: 'POST', body: 'x' });
    expect(r.status).toBe(200);
    await until(() => (totals()?.differing ?? 0) >= 4, 5_000);
    expect(apps.primary!.seen.length - before).toBe(1);
    const g = apps.primary!.seen.length;
    await client.send(web(), '/changed/get');
    await until(() => (totals()?.differing ?? 0) >= 5, 5_000);
    expect(apps.primary!.seen.length - g).toBe(2);
  });

  it('compares nothing without the route annotation', async () => {
    source.set(mesh(undefined));
    await proxy.settled();
    const before = totals()!.compared;
    const seen = apps.canary!.seen.length;
    await client.send(web(), '/changed/off');
    await until(() => apps.canary!.seen.length > seen, 5_000);
    expect(totals()!.compared).toBe(before);
  });
});
