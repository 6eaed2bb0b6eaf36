import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundRobin } from '../../proxy/index.js';
import { inParallel } from './support/harness.js';
import { RouteMesh } from './support/route-mesh.js';

/**
 * Timeouts (GEP-1742) and retries (GEP-1731) through the outbound proxy, as the Gateway API
 * conformance cases HTTPRouteTimeoutRequest, HTTPRouteTimeoutBackendRequest, HTTPRouteRetry,
 * HTTPRouteRetryConnectionError and HTTPRouteRetryWithTimeouts state them. The flaky app path
 * `/flaky/<key>?fail=N&code=C` fails the first N requests of each key.
 */
describe('outbound proxy: HTTPRoute timeouts and retries', () => {
  let m: RouteMesh;
  let key = 0;
  const flaky = (fail: number, code: string | number, extra = '') =>
    `/flaky/k${++key}?fail=${fail}&code=${code}${extra}`;
  /** upstream requests the app saw for the path */
  const tries = (app: string, path: string) => m.apps[app]!.seen.filter((s) => s.url === path).length;

  beforeAll(async () => {
    m = await RouteMesh.start(['backend', 'pair'], {
      halfDown: ['pair'],
      // plain round robin: failure accrual would eject failing endpoints and blur the try counts
      proxy: { balancer: roundRobin },
    });
  });
  afterAll(async () => {
    await m?.close();
  });

  describe('retries', () => {
    it('retries a listed status: 503 twice, then 200', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { codes: [503], attempts: 2, backoff: '10ms' } }]);
      const path = flaky(2, 503);
      const r = await m.send(path);
      expect(r.status).toBe(200);
      expect(r.headers['x-attempt']).toBe('3');
      expect(tries('backend', path)).toBe(3);
    });

    it('does not retry a status that is not listed', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { codes: [500], attempts: 2 } }]);
      const path = flaky(2, 503);
      const r = await m.send(path);
      expect(r.status).toBe(503);
      expect(tries('backend', path)).toBe(1);
    });

    it('returns the last upstream status once the retries are used up', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { codes: [500, 502], attempts: 2, backoff: '1ms' } }]);
      const path = flaky(5, 500);
      const r = await m.send(path);
      expect(r.status).toBe(500);
      expect(r.body).toBe('failure 3');
      expect(r.headers['weir-proxy-error']).toBeUndefined();
      expect(tries('backend', path)).toBe(3);
    });

    it('retries connection resets (GET) without any codes listed', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { attempts: 3, backoff: '1ms' } }]);
      const ok = flaky(2, 'reset');
      expect((await m.send(ok)).status).toBe(200);
      expect(tries('backend', ok)).toBe(3);
      const bad = flaky(9, 'reset');
      const r = await m.send(bad);
      expect([500, 502, 503]).toContain(r.status);
      expect(r.headers['weir-proxy-error']).toBeDefined();
      expect(tries('backend', bad)).toBe(4);
    });

    it('does not retry a reset POST (not idempotent), but does retry a listed status for it', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { codes: [503], attempts: 2, backoff: '1ms' } }]);
      const reset = flaky(1, 'reset');
      const r = await m.send(reset, { method: 'POST', body: 'payload' });
      expect(r.status).toBe(502);
      expect(tries('backend', reset)).toBe(1);
      const status = flaky(1, 503);
      const r2 = await m.send(status, { method: 'POST', body: 'payload' });
      expect(r2.status).toBe(200);
      // the small body was replayed whole on the retry
      expect(RouteMesh.seen(r2)).toMatchObject({ body: 'payload' });
      expect(m.apps.backend!.seen.filter((s) => s.url === status).map((s) => s.body)).toEqual(['payload', 'payload']);
    });

    it('replays a chunked body read in parts; a body over 64 KiB is sent once, not retried', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], retry: { codes: [503], attempts: 2, backoff: '1ms' } }]);
      const chunked = flaky(1, 503);
      const r = await m.send(chunked, {
        method: 'POST',
        body: ['first,', 'second,', 'third'].map((x) => Buffer.from(x)),
      });
      expect(r.status).toBe(200);
      expect(RouteMesh.seen(r)).toMatchObject({ body: 'first,second,third' });

      const big = Buffer.alloc(100 * 1024, 'b');
      for (const [path, body] of [
        [flaky(1, 503), big],
        [flaky(1, 503), [big.subarray(0, 40_000), big.subarray(40_000)]],
      ] as const) {
        const r2 = await m.send(path, { method: 'POST', body: body as Buffer | Buffer[] });
        expect(r2.status).toBe(503);
        expect(tries('backend', path)).toBe(1);
        expect(m.apps.backend!.seen.find((s) => s.url === path)!.body.length).toBe(big.length);
      }
    });

    it('a retry picks the endpoint again: one endpoint refusing connections costs nothing', async () => {
      // Service `pair` has two endpoints, the first refuses connections
      await m.apply([{ backendRefs: [m.to('pair')], retry: { attempts: 1, backoff: '1ms' } }]);
      const replies = await inParallel(10, 1, () => m.send('/any'));
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      // without a retry stanza too: a refused connection sent nothing, the request goes to the other
      // endpoint (proxy/redispatch.ts), and no retry is counted
      await m.apply([{ backendRefs: [m.to('pair')] }]);
      const plain = await inParallel(10, 1, () => m.send('/any'));
      expect(plain.map((r) => r.status)).toEqual(Array(10).fill(200));
    });

    it('the retry budget stops a retry storm against a failing backend', async () => {
      // its own proxy with a small floor, so that few requests show the bound: 2 retries/s over 5 s
      const storm = await RouteMesh.start(['failing'], {
        proxy: { balancer: roundRobin, routePolicy: { retryBudget: { ratio: 0.2, minPerSecond: 2, ttlMs: 5000 } } },
      });
      try {
        await storm.apply([
          { backendRefs: [storm.to('failing')], retry: { codes: [503], attempts: 3, backoff: '0s' } },
        ]);
        const n = 200;
        const path = '/flaky/storm?fail=100000&code=503';
        const t0 = performance.now();
        const replies = await inParallel(n, 8, () => storm.send(path));
        const seconds = (performance.now() - t0) / 1000;
        expect(replies.every((r) => r.status === 503)).toBe(true);
        const upstream = storm.apps.failing!.seen.length;
        // without a budget: n * (1 + 3) = 800. With it: n + 20 % of n (40) + the floor, 2 retries/s over
        // the 5 s window, or over the run when a busy machine makes it last longer (each withdrawal
        // expires after the window)
        const floor = Math.ceil(2 * Math.max(5, seconds + 1));
        expect(upstream).toBeGreaterThan(n + 10);
        expect(upstream).toBeLessThanOrEqual(n + floor + 0.2 * n);
      } finally {
        await storm.close();
      }
    });
  });

  describe('timeouts', () => {
    it('timeouts.request: 504 with the proxy error while the upstream stalls', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], timeouts: { request: '300ms' } }]);
      const started = performance.now();
      const r = await m.send('/slow?ms=3000');
      const elapsed = performance.now() - started;
      expect(r.status).toBe(504);
      expect(r.headers['weir-proxy-error']).toBe('request timeout');
      expect(r.headers['l5d-proxy-error']).toBe('request timeout');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2500);
      // the connection stays usable
      expect((await m.send('/slow?ms=10')).status).toBe(200);
    });

    it('a streamed body (over 64 KiB) is bounded by the request timeout too', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], timeouts: { request: '300ms' } }]);
      const r = await m.send('/stall', { method: 'PUT', body: Buffer.alloc(100 * 1024, 's') });
      expect(r.status).toBe(504);
      expect(r.headers['weir-proxy-error']).toBe('request timeout');
    });

    it('0s disables both timeouts', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], timeouts: { request: '0s', backendRequest: '0s' } }]);
      const r = await m.send('/slow?ms=600');
      expect(r.status).toBe(200);
    });

    it('backendRequest bounds each try; retries fit inside the request timeout', async () => {
      await m.apply([
        {
          backendRefs: [m.to('backend')],
          timeouts: { request: '5s', backendRequest: '200ms' },
          retry: { attempts: 2, backoff: '1ms' },
        },
      ]);
      // each of the first two tries stalls 1 s, the third answers at once (HTTPRouteRetryWithTimeouts)
      const path = flaky(2, 503, '&delay=1000');
      const started = performance.now();
      const r = await m.send(path);
      expect(r.status).toBe(200);
      expect(tries('backend', path)).toBe(3);
      expect(performance.now() - started).toBeLessThan(2000);

      // every try times out: 504 naming the per-try timeout
      const always = flaky(10, 503, '&delay=1000');
      const r2 = await m.send(always);
      expect(r2.status).toBe(504);
      expect(r2.headers['weir-proxy-error']).toBe('backend request timeout');
      expect(tries('backend', always)).toBe(3);
    });

    it('the request timeout covers every retry and backoff', async () => {
      await m.apply([
        {
          backendRefs: [m.to('backend')],
          timeouts: { request: '400ms' },
          retry: { codes: [500], attempts: 10, backoff: '1ms' },
        },
      ]);
      // each try fails after 100 ms: the fourth or fifth is cut by the request timeout
      const path = flaky(100, 500, '&delay=100');
      const started = performance.now();
      const r = await m.send(path);
      const elapsed = performance.now() - started;
      expect(r.status).toBe(504);
      expect(r.headers['weir-proxy-error']).toBe('request timeout');
      expect(elapsed).toBeLessThan(2000);
      expect(tries('backend', path)).toBeGreaterThanOrEqual(3);
      expect(tries('backend', path)).toBeLessThanOrEqual(5);
    });

    it('a request timeout while an endpoint is being tried cancels that try', async () => {
      await m.apply([{ backendRefs: [m.to('backend')], timeouts: { request: '200ms' } }]);
      const r = await m.send('/stall');
      expect(r.status).toBe(504);
      // the golden metrics count the try as a 504 of the backend
      const text = (await m.client.get(m.proxy.adminPort, '/metrics')).body;
      expect(text).toMatch(
        /response_total\{[^}]*dst_service="backend"[^}]*classification="failure",status_code="504"\} \d+/,
      );
    });
  });
});
