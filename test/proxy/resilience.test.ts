import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { peakEwma, startOutboundProxy, type BalancerFactory, type OutboundProxy } from '../../proxy/index.js';
import {
  Client,
  endpoints,
  freePort,
  inParallel,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
  type Reply,
} from './support/harness.js';

describe('outbound proxy: balancing and resilience', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  async function app(name: string, handler?: Parameters<typeof startEcho>[1]): Promise<Echo> {
    const echo = await startEcho(name, handler);
    cleanup.push(() => echo.close());
    return echo;
  }

  async function proxyFor(
    eps: Array<{ port: number; ready?: boolean }>,
    options: { balancer?: BalancerFactory; failFastMs?: number; queueCapacity?: number } = {},
  ): Promise<{ proxy: OutboundProxy; port: number; client: Client; setEndpoints: typeof setEndpoints }> {
    const port = await freePort();
    const web = service('web', port);
    const source = new ManualConfigSource({ services: [web], httpRoutes: [], endpoints: [endpoints(web, eps)] });
    const proxy = await startOutboundProxy({ configSource: source, ...options });
    const client = new Client();
    cleanup.push(
      () => proxy.close({ drainMs: 100 }),
      () => client.close(),
    );
    const setEndpoints = async (next: Array<{ port: number; ready?: boolean }>) => {
      source.set({ services: [web], httpRoutes: [], endpoints: [endpoints(web, next)] });
      await proxy.settled();
    };
    return { proxy, port, client, setEndpoints };
  }

  const servedBy = (replies: Reply[], name: string) => replies.filter((r) => r.headers['x-served-by'] === name).length;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function expectProxyError(reply: Reply, status: number, reason: RegExp) {
    expect(reply.status).toBe(status);
    expect(reply.headers['weir-proxy-error']).toMatch(reason);
    expect(reply.headers['l5d-proxy-error']).toBe(reply.headers['weir-proxy-error']);
  }

  it('a slow endpoint gets clearly less traffic than a fast one', async () => {
    const fast = await app('fast');
    // far slower than a busy machine makes the fast one (a 60 ms gap was eaten by event-loop stalls under load)
    const slow = await app('slow', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'x-served-by': 'slow' });
        res.end('slow');
      }, 250);
      return true;
    });
    const { port, client } = await proxyFor([{ port: fast.port }, { port: slow.port }]);
    const replies = await inParallel(120, 4, () => client.send(port, '/'));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const s = servedBy(replies, 'slow');
    const f = servedBy(replies, 'fast');
    expect(s + f).toBe(120);
    expect(s).toBeGreaterThan(0);
    expect(f).toBeGreaterThan(3 * s);
  });

  it('an endpoint answering 500s is ejected, and comes back once it recovers', async () => {
    const good = await app('good');
    let broken = true;
    const flaky = await app('flaky', (_req, res) => {
      if (!broken) return false;
      res.writeHead(500, { 'x-served-by': 'flaky' });
      res.end('broken');
      return true;
    });
    const { port, client } = await proxyFor([{ port: good.port }, { port: flaky.port }], {
      balancer: peakEwma({
        // a short decay brings the flaky endpoint back into P2C's favour soon after each (fast) 500,
        // so that it keeps being picked until failure accrual, the subject here, ejects it; the first
        // backoff is far longer than the requests below take, even on a loaded machine
        decayMs: 50,
        failureAccrual: { maxFailures: 3, minPenaltyMs: 3_000, maxPenaltyMs: 4_000 },
      }),
    });
    // sequential requests until three consecutive failures of the flaky endpoint (bounded)
    let failures = 0;
    const until = performance.now() + 8_000;
    while (failures < 3 && performance.now() < until) {
      const r = await client.send(port, '/');
      if (r.status === 500) failures++;
      else expect(r.headers['x-served-by']).toBe('good');
    }
    expect(failures).toBe(3);
    // ejected: every request goes to the good endpoint while the backoff lasts
    const ejected = await inParallel(30, 1, () => client.send(port, '/'));
    expect(ejected.every((r) => r.status === 200 && r.headers['x-served-by'] === 'good')).toBe(true);

    broken = false;
    // the next probe after the backoff finds it healthy: it serves again
    const deadline = performance.now() + 8_000;
    let back = false;
    while (!back && performance.now() < deadline) {
      const r = await client.send(port, '/');
      expect(r.status).toBe(200);
      back = r.headers['x-served-by'] === 'flaky';
      if (!back) await sleep(20);
    }
    expect(back).toBe(true);
    const after = await inParallel(60, 2, () => client.send(port, '/'));
    expect(after.every((r) => r.status === 200)).toBe(true);
    expect(servedBy(after, 'flaky')).toBeGreaterThan(5);
  });

  it('no ready endpoint: 503 with the proxy error header within the fail-fast bound, then fails fast', async () => {
    const web = await app('web');
    const { proxy, port, client, setEndpoints } = await proxyFor([{ port: web.port, ready: false }], {
      failFastMs: 300,
    });
    const t0 = performance.now();
    const reply = await client.send(port, '/');
    const waited = performance.now() - t0;
    expectProxyError(reply, 503, /^no ready endpoints for default\/web:\d+ \(waited 300 ms\)$/);
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2_500);
    const gauges = (await client.get(proxy.adminPort, '/metrics')).body;
    expect(gauges).toMatch(/^outbound_http_balancer_fail_fast\{[^}]*backend_name="web"[^}]*\} 1$/m);
    // while failing fast, requests are answered at once
    const t1 = performance.now();
    expectProxyError(await client.send(port, '/'), 503, /failing fast/);
    expect(performance.now() - t1).toBeLessThan(250);
    expect(web.seen).toHaveLength(0);
    // an endpoint becomes ready: served again at once
    await setEndpoints([{ port: web.port }]);
    const ok = await client.send(port, '/');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-served-by']).toBe('web');
  });

  it('an endpoint that becomes ready during the wait serves the waiting requests', async () => {
    const web = await app('web');
    const { port, client, setEndpoints } = await proxyFor([{ port: web.port, ready: false }], { failFastMs: 10_000 });
    const t0 = performance.now();
    const pending = Promise.all([
      client.send(port, '/one', { timeoutMs: 9_000 }),
      client.send(port, '/two', { method: 'POST', body: 'queued body', timeoutMs: 9_000 }),
    ]);
    await sleep(200);
    expect(web.seen).toHaveLength(0);
    await setEndpoints([{ port: web.port, ready: true }]);
    const [one, two] = await pending;
    expect(one.status).toBe(200);
    expect(two.status).toBe(200);
    expect(JSON.parse(two.body).body).toBe('queued body');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(web.seen.map((s) => s.url).sort()).toEqual(['/one', '/two']);
  });

  it('every endpoint ejected: a request waits for the probe, bounded by the fail-fast time', async () => {
    let broken = true;
    const only = await app('only', (_req, res) => {
      if (!broken) return false;
      res.writeHead(500);
      res.end('broken');
      return true;
    });
    const { proxy, port, client } = await proxyFor([{ port: only.port }], {
      balancer: peakEwma({ failureAccrual: { maxFailures: 2, minPenaltyMs: 600, maxPenaltyMs: 600, jitterRatio: 0 } }),
      failFastMs: 2_000,
    });
    expect((await client.send(port, '/')).status).toBe(500);
    expect((await client.send(port, '/')).status).toBe(500);
    const t0 = performance.now();
    const gauges = (await client.get(proxy.adminPort, '/metrics')).body;
    expect(gauges).toMatch(/^outbound_http_balancer_endpoints\{[^}]*backend_name="web"[^}]*,state="pending"\} 1$/m);
    expect(gauges).toMatch(/^outbound_http_balancer_endpoints\{[^}]*backend_name="web"[^}]*,state="ready"\} 0$/m);
    // ejected: this request waits until the backoff ends and is the probe
    broken = false;
    const probe = await client.send(port, '/');
    expect(probe.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    expect(performance.now() - t0).toBeLessThan(1_900);
  });

  it('a waiting request whose client goes away leaves the queue and is never sent', async () => {
    const web = await app('web');
    const { proxy, port, client, setEndpoints } = await proxyFor([{ port: web.port, ready: false }], {
      failFastMs: 10_000,
    });
    await expect(client.send(port, '/gone', { timeoutMs: 200 })).rejects.toThrow(/timed out/);
    const queued = async () =>
      /^outbound_http_balancer_queue_length\{[^}]*\} (\d+)$/m.exec(
        (await client.get(proxy.adminPort, '/metrics')).body,
      )?.[1];
    const deadline = performance.now() + 3_000;
    while ((await queued()) !== '0' && performance.now() < deadline) await sleep(20);
    expect(await queued()).toBe('0');
    await setEndpoints([{ port: web.port }]);
    expect((await client.send(port, '/next')).status).toBe(200);
    expect(web.seen.map((r) => r.url)).toEqual(['/next']);
  });

  it('too many waiting requests: the excess is shed at once', async () => {
    const web = await app('web');
    const { port, client } = await proxyFor([{ port: web.port, ready: false }], { failFastMs: 600, queueCapacity: 1 });
    const t0 = performance.now();
    const first = client.send(port, '/');
    await sleep(50);
    const shed = await client.send(port, '/');
    expectProxyError(shed, 503, /load shed/);
    expect(performance.now() - t0).toBeLessThan(550);
    expectProxyError(await first, 503, /waited 600 ms/);
  });
});
