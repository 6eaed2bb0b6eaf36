import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inParallel } from './support/harness.js';
import { seeded } from '../support/seeded.js';
import { RouteMesh } from './support/route-mesh.js';

/**
 * RequestMirror through the outbound proxy (Gateway API HTTPRouteRequestMirror,
 * HTTPRouteRequestMultipleMirrors, HTTPRouteRequestPercentageMirror): every mirror filter sends one
 * copy of the request to one endpoint of its backend; the client only ever sees the primary reply.
 */
describe('outbound proxy: RequestMirror', () => {
  let m: RouteMesh;
  const seen = RouteMesh.seen;
  const copies = (app: string, url: string) => m.apps[app]!.seen.filter((s) => s.url === url);
  let id = 0;
  /** a unique request path, as the conformance suite tags mirrored requests */
  const unique = (path = '/mirror') => `${path}?gateway-api-conformance-request-id=${++id}`;

  beforeAll(async () => {
    // percentages are sampled from one fixed sequence, so the share test judges the same draws every run
    m = await RouteMesh.start(['primary', 'mirror-a', 'mirror-b', 'slow'], {
      down: ['gone'],
      proxy: { routePolicy: { random: seeded(20) } },
    });
  });
  afterAll(async () => {
    await m?.close();
  });

  const mirror = (name: string, extra: Record<string, unknown> = {}) => ({
    type: 'RequestMirror' as const,
    requestMirror: { backendRef: m.to(name), ...extra },
  });

  it('sends one copy per mirror filter, with the modified headers; the client gets the primary reply', async () => {
    await m.apply([
      {
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Mirror-Test', value: 'yes' }] } },
          mirror('mirror-a'),
          mirror('mirror-b'),
        ],
        backendRefs: [m.to('primary')],
      },
    ]);
    const url = unique();
    const r = await m.send(url, { headers: { 'x-echo-set-header': 'X-From:app' } });
    expect(r.status).toBe(200);
    expect(r.headers['x-served-by']).toBe('primary');
    expect(seen(r).headers['x-mirror-test']).toBe('yes');
    await RouteMesh.until(() => copies('mirror-a', url).length > 0 && copies('mirror-b', url).length > 0);
    await new Promise((res) => setTimeout(res, 50));
    for (const app of ['mirror-a', 'mirror-b']) {
      const c = copies(app, url);
      expect(c).toHaveLength(1);
      expect(c[0]!.rawHeaders).toContain('X-Mirror-Test');
    }
    expect(copies('primary', url)).toHaveLength(1);
  });

  it('a mirror that fails, is down or stalls does not change or slow the primary reply', async () => {
    await m.apply([
      {
        filters: [mirror('gone'), mirror('slow')],
        backendRefs: [m.to('primary')],
      },
    ]);
    // the app `slow` never answers; `gone` refuses connections
    const before = m.apps.slow!.seen.length;
    const started = performance.now();
    const replies = await inParallel(20, 4, () => m.send(unique('/stall-mirrored'), { timeoutMs: 5000 }));
    const elapsed = performance.now() - started;
    expect(replies.every((r) => r.status === 200 && r.headers['x-served-by'] === 'primary')).toBe(true);
    expect(replies.every((r) => r.headers['weir-proxy-error'] === undefined)).toBe(true);
    expect(elapsed).toBeLessThan(3000);
    // the copies did reach the stalled mirror
    await RouteMesh.until(() => m.apps.slow!.seen.length - before === 20);

    // a mirror answering 500 is invisible to the client too
    await m.apply([{ filters: [mirror('mirror-a')], backendRefs: [m.to('primary')] }]);
    const url = unique('/fail-at/mirror-a/x');
    const r = await m.send(url);
    expect(r.status).toBe(200);
    expect(r.headers['x-served-by']).toBe('primary');
    await RouteMesh.until(() => copies('mirror-a', url).length === 1);
  });

  it('percent: mirrors about that share of requests (within 4 sigma)', async () => {
    await m.apply([{ filters: [mirror('mirror-b', { percent: 20 })], backendRefs: [m.to('primary')] }]);
    const path = '/percent';
    const seenHere = () => m.apps['mirror-b']!.seen.filter((s) => s.url.startsWith(path)).length;
    const before = { seen: seenHere(), ...m.proxy.mirrors };
    const replies = await inParallel(500, 10, (i) => m.send(`${path}?i=${i}`));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    // every copy is admitted before its primary is forwarded: wait until each one sent has been seen
    const sent = m.proxy.mirrors.sent - before.sent;
    expect(m.proxy.mirrors.dropped - before.dropped).toBe(0);
    await RouteMesh.until(() => seenHere() - before.seen >= sent);
    const mirrored = seenHere() - before.seen;
    expect(mirrored).toBe(sent);
    // 500 * 0.2 +- 4 * sqrt(500 * 0.2 * 0.8)
    expect(mirrored).toBeGreaterThanOrEqual(64);
    expect(mirrored).toBeLessThanOrEqual(136);
  });

  it('fraction 0/1 mirrors nothing, 1/1 everything', async () => {
    await m.apply([
      {
        filters: [
          mirror('mirror-a', { fraction: { numerator: 0, denominator: 1 } }),
          mirror('mirror-b', { fraction: { numerator: 1, denominator: 1 } }),
        ],
        backendRefs: [m.to('primary')],
      },
    ]);
    const urls = Array.from({ length: 10 }, () => unique('/fraction'));
    for (const u of urls) expect((await m.send(u)).status).toBe(200);
    await RouteMesh.until(() => urls.every((u) => copies('mirror-b', u).length === 1));
    expect(urls.filter((u) => copies('mirror-a', u).length > 0)).toEqual([]);
  });

  it('mirrors a small request body; a body over 64 KiB reaches the primary but is not mirrored', async () => {
    await m.apply([{ filters: [mirror('mirror-a')], backendRefs: [m.to('primary')] }]);
    const small = unique('/upload');
    const r = await m.send(small, { method: 'POST', body: [Buffer.from('part-one,'), Buffer.from('part-two')] });
    expect(seen(r)).toMatchObject({ app: 'primary', body: 'part-one,part-two' });
    await RouteMesh.until(() => copies('mirror-a', small).length === 1);
    expect(copies('mirror-a', small)[0]!.body).toBe('part-one,part-two');

    const big = unique('/upload');
    const body = Buffer.alloc(100 * 1024, 'x');
    const r2 = await m.send(big, { method: 'POST', body });
    expect(seen(r2)).toMatchObject({ app: 'primary', bodyLength: body.length });
    await new Promise((res) => setTimeout(res, 100));
    expect(copies('mirror-a', big)).toHaveLength(0);
  });
});
