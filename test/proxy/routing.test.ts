import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Service } from '../../engine/resources/index.js';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  httpRoute,
  inParallel,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
  type RuleInput,
} from './support/harness.js';

/**
 * The mesh of these tests: Service `echo` (the parent the routes attach to) and Services `echo-v1`,
 * `echo-v2`, each with its own app. Endpoints point straight at the apps.
 */
describe('outbound proxy: HTTPRoute routing and weighted splits', () => {
  let apps: Record<string, Echo>;
  let svcs: Record<string, Service>;
  let source: ManualConfigSource;
  let proxy: OutboundProxy;
  let echoPort: number;
  let client: Client;

  const mesh = (rules: RuleInput[] | undefined, extra: Partial<{ services: Service[] }> = {}) => ({
    services: [...Object.values(svcs), ...(extra.services ?? [])],
    httpRoutes: rules === undefined ? [] : [httpRoute('echo-split', 'echo', rules)],
    endpoints: Object.entries(svcs).map(([name, svc]) =>
      endpoints(svc, [{ port: apps[name]!.port, deployment: name }]),
    ),
  });

  beforeEach(async () => {
    client = new Client();
    apps = {};
    svcs = {};
    for (const name of ['echo', 'echo-v1', 'echo-v2']) {
      apps[name] = await startEcho(name);
      svcs[name] = service(name, await freePort());
    }
    echoPort = svcs.echo!.spec.ports[0]!.port;
    source = new ManualConfigSource(mesh(undefined));
    proxy = await startOutboundProxy({ configSource: source });
  });
  afterEach(async () => {
    client.close();
    await proxy?.close({ drainMs: 100 });
    await Promise.all(Object.values(apps).map((a) => a.close()));
  });

  const port = (name: string) => svcs[name]!.spec.ports[0]!.port;
  const to = (name: string, weight?: number) => backend(name, port(name), weight);

  async function apply(rules: RuleInput[] | undefined, extra?: Partial<{ services: Service[] }>) {
    source.set(mesh(rules, extra));
    await proxy.settled();
  }

  /** who answered `n` requests (x-served-by, or the status when the proxy answered) */
  async function tally(n: number, path = '/', headers: Record<string, string> = {}, concurrency = 8) {
    const replies = await inParallel(n, concurrency, () => client.send(echoPort, path, { headers }));
    const counts: Record<string, number> = {};
    for (const r of replies) {
      const k = (r.headers['x-served-by'] as string | undefined) ?? String(r.status);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  }

  it('without routes the Service itself serves everything', async () => {
    expect(await tally(10)).toEqual({ echo: 10 });
  });

  it('routes by header (names case-insensitive)', async () => {
    await apply([
      { matches: [{ headers: [{ name: 'X-Canary', value: 'always' }] }], backendRefs: [to('echo-v2')] },
      { backendRefs: [to('echo-v1')] },
    ]);
    expect(await tally(4, '/', { 'x-canary': 'always' })).toEqual({ 'echo-v2': 4 });
    expect(await tally(4, '/', { 'X-CANARY': 'always' })).toEqual({ 'echo-v2': 4 });
    expect(await tally(4, '/', { 'x-canary': 'never' })).toEqual({ 'echo-v1': 4 });
    expect(await tally(4)).toEqual({ 'echo-v1': 4 });
  });

  it('routes by path: Exact beats PathPrefix, prefixes match whole segments, unmatched is 404', async () => {
    await apply([
      { matches: [{ path: { type: 'PathPrefix', value: '/api/' } }], backendRefs: [to('echo-v1')] },
      { matches: [{ path: { type: 'Exact', value: '/api/v2' } }], backendRefs: [to('echo-v2')] },
    ]);
    expect(await tally(2, '/api')).toEqual({ 'echo-v1': 2 });
    expect(await tally(2, '/api/users?id=1')).toEqual({ 'echo-v1': 2 });
    expect(await tally(2, '/api/v2')).toEqual({ 'echo-v2': 2 });
    expect(await tally(2, '/api/v2/')).toEqual({ 'echo-v1': 2 });
    const miss = await client.send(echoPort, '/apiary');
    expect(miss.status).toBe(404);
    expect(miss.headers['weir-proxy-error']).toMatch(/no route matches GET \/apiary/);
    expect(miss.headers['l5d-proxy-error']).toBe(miss.headers['weir-proxy-error']);
    expect(apps.echo!.seen).toHaveLength(0);
  });

  // Smooth weighted round robin is deterministic: over every cycle of sum(weights) picks the split is
  // exact, so the tolerance over 1000 requests is zero, whatever the concurrency.
  it('splits 90/10 exactly over 1000 requests', async () => {
    await apply([{ backendRefs: [to('echo-v1', 90), to('echo-v2', 10)] }]);
    expect(await tally(1000)).toEqual({ 'echo-v1': 900, 'echo-v2': 100 });
  });

  it('splits 1/3 vs 2/3 exactly over 300 requests', async () => {
    await apply([{ backendRefs: [to('echo-v1', 1), to('echo-v2', 2)] }]);
    expect(await tally(300)).toEqual({ 'echo-v1': 100, 'echo-v2': 200 });
  });

  it('gives a weight-0 backend nothing', async () => {
    await apply([{ backendRefs: [to('echo-v1', 100), to('echo-v2', 0)] }]);
    expect(await tally(200)).toEqual({ 'echo-v1': 200 });
    expect(apps['echo-v2']!.seen).toHaveLength(0);
  });

  it('answers 500 for the share of an unknown backend only', async () => {
    await apply([{ backendRefs: [to('echo-v1', 1), backend('ghost', 80, 1)] }]);
    expect(await tally(100)).toEqual({ 'echo-v1': 50, '500': 50 });
    const replies = await inParallel(2, 1, () => client.send(echoPort, '/'));
    const failed = replies.find((r) => r.status === 500)!;
    expect(failed.headers['weir-proxy-error']).toMatch(/ghost.*BackendNotFound/);
  });

  it('applies snapshot changes live: weights move without restarting the listener', async () => {
    await apply([{ backendRefs: [to('echo-v1', 100), to('echo-v2', 0)] }]);
    expect(await tally(20)).toEqual({ 'echo-v1': 20 });
    const connections = new Set<unknown>();
    await apply([{ backendRefs: [to('echo-v1', 50), to('echo-v2', 50)] }]);
    expect(await tally(20)).toEqual({ 'echo-v1': 10, 'echo-v2': 10 });
    apps['echo-v2']!.server.on('connection', (s) => connections.add(s));
    await apply([{ backendRefs: [to('echo-v1', 0), to('echo-v2', 100)] }]);
    expect(await tally(20, '/', {}, 1)).toEqual({ 'echo-v2': 20 });
    // the same listener kept serving, and the pool to echo-v2 kept its kept-alive connections
    expect(
      proxy
        .listeners()
        .map((l) => l.service)
        .sort(),
    ).toEqual(['echo', 'echo-v1', 'echo-v2']);
    expect(connections.size).toBe(0);
  });

  it('opens listeners for new Services and closes those of Services that went away', async () => {
    const extraPort = await freePort();
    const extra = service('extra', extraPort);
    await apply(undefined, { services: [extra] });
    expect(proxy.listeners().map((l) => l.service)).toContain('extra');
    expect((await client.send(extraPort, '/')).status).toBe(503);
    await apply(undefined);
    expect(proxy.listeners().map((l) => l.service)).not.toContain('extra');
    client.close();
    client = new Client();
    await expect(client.send(extraPort, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('shows the compiled routing table on /config', async () => {
    await apply([{ backendRefs: [to('echo-v1', 9), backend('ghost', 80, 1)] }]);
    const config = JSON.parse((await client.get(proxy.adminPort, '/config')).body);
    const echo = config.listeners.find((l: { service: string }) => l.service === 'echo');
    expect(echo.attached).toBe(true);
    expect(echo.rules[0].backends).toEqual([
      { backend: `default/echo-v1:${port('echo-v1')}`, weight: 9 },
      { backend: 'default/ghost:80', weight: 1, status: 500, reason: expect.stringMatching(/BackendNotFound/) },
    ]);
  });
});
