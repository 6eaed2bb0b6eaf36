import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import {
  Client,
  endpoints,
  freePort,
  HOST,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
} from './support/harness.js';

describe('outbound proxy: errors the proxy answers itself', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  async function proxyFor(
    eps: Array<{ port: number; ready?: boolean }>,
    options: { responseTimeoutMs?: number } = {},
  ): Promise<{ proxy: OutboundProxy; port: number; client: Client }> {
    const port = await freePort();
    const web = service('web', port);
    const source = new ManualConfigSource({ services: [web], httpRoutes: [], endpoints: [endpoints(web, eps)] });
    const proxy = await startOutboundProxy({ configSource: source, ...options });
    const client = new Client();
    cleanup.push(
      () => proxy.close({ drainMs: 100 }),
      () => client.close(),
    );
    return { proxy, port, client };
  }

  function expectProxyError(
    reply: { status: number; headers: Record<string, unknown> },
    status: number,
    reason: RegExp,
  ) {
    expect(reply.status).toBe(status);
    expect(reply.headers['weir-proxy-error']).toMatch(reason);
    expect(reply.headers['l5d-proxy-error']).toBe(reply.headers['weir-proxy-error']);
  }

  it('no ready endpoint: 503', async () => {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    const { port, client } = await proxyFor([{ port: app.port, ready: false }]);
    const reply = await client.send(port, '/');
    expectProxyError(reply, 503, /no ready endpoints for default\/web:/);
    expect(reply.body).toMatch(/no ready endpoints/);
    expect(app.seen).toHaveLength(0);
  });

  it('endpoint refuses connections: 502', async () => {
    const deadPort = await freePort();
    const { port, client } = await proxyFor([{ port: deadPort }]);
    expectProxyError(await client.send(port, '/'), 502, /connection refused/);
  });

  it('endpoint resets the connection: 502', async () => {
    const rude: Server = createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => rude.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => rude.close(() => r())));
    const { port, client } = await proxyFor([{ port: (rude.address() as { port: number }).port }]);
    expectProxyError(await client.send(port, '/'), 502, /connection reset/);
  });

  // undici checks header timeouts on a coarse (about 1 s) timer, so the app is far slower than that
  it('endpoint too slow to answer: 504', async () => {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    const { port, client } = await proxyFor([{ port: app.port }], { responseTimeoutMs: 100 });
    expectProxyError(await client.send(port, '/slow?ms=4000'), 504, /response timeout/);
    // the next request on the same client connection still works
    expect((await client.send(port, '/slow?ms=1')).status).toBe(200);
  });

  it('never sends a request to an endpoint that is not ready', async () => {
    const a: Echo = await startEcho('a');
    const b: Echo = await startEcho('b');
    const c: Echo = await startEcho('c');
    cleanup.push(
      () => a.close(),
      () => b.close(),
      () => c.close(),
    );
    const { port, client } = await proxyFor([{ port: a.port }, { port: b.port, ready: false }, { port: c.port }]);
    const served: string[] = [];
    for (let i = 0; i < 30; i++) served.push((await client.send(port, '/')).headers['x-served-by'] as string);
    // peak-EWMA picks by latency, so the split between a and c is not fixed; b is never picked
    expect(served.filter((s) => s !== 'a' && s !== 'c')).toEqual([]);
  });

  it('a Service port that cannot be bound is reported, not fatal', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, HOST, r));
    cleanup.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const taken = (squatter.address() as { port: number }).port;
    const freeP = await freePort();
    const app = await startEcho('ok');
    cleanup.push(() => app.close());
    const blocked = service('blocked', taken);
    const ok = service('ok', freeP);
    const errors: Error[] = [];
    const source = new ManualConfigSource({
      services: [blocked, ok],
      httpRoutes: [],
      endpoints: [endpoints(ok, [{ port: app.port }])],
    });
    const proxy = await startOutboundProxy({ configSource: source, onError: (e) => errors.push(e) });
    const client = new Client();
    cleanup.push(
      () => proxy.close({ drainMs: 100 }),
      () => client.close(),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(new RegExp(`cannot listen on 127.0.0.1:${taken} for Service default/blocked`));
    expect(proxy.listeners().map((l) => l.service)).toEqual(['ok']);
    expect((await client.send(freeP, '/')).status).toBe(200);
  });
});
