import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DualMesh, type DualReply, type Protocol } from './support/dual.js';
import type { RuleInput } from './support/harness.js';

/**
 * The proxy has one policy stack for every protocol (proxy/exchange.ts, proxy/serve.ts); each layer is
 * asserted here from one table, over HTTP/1.1 and over h2c, with the same routes and requests.
 */
interface Case {
  layer: string;
  rules: (m: DualMesh) => RuleInput[];
  check: (m: DualMesh) => Promise<void>;
}

const proxyError = (r: DualReply) => r.headers['weir-proxy-error'];

const cases: Case[] = [
  {
    layer: 'route match: no rule matches -> 404 from the proxy',
    rules: (m) => [{ matches: [{ path: { type: 'PathPrefix', value: '/only' } }], backendRefs: [m.to('v1')] }],
    check: async (m) => {
      const r = await m.send('/elsewhere');
      expect(r.status).toBe(404);
      expect(proxyError(r)).toMatch(/no route matches GET \/elsewhere/);
    },
  },
  {
    layer: 'weighted split: 3:1, exactly, by smooth weighted round robin',
    rules: (m) => [{ backendRefs: [m.to('v1', 3), m.to('v2', 1)] }],
    check: async (m) => {
      const by: Record<string, number> = {};
      for (let i = 0; i < 40; i++) {
        const app = String((await m.send('/split')).headers['x-served-by']);
        by[app] = (by[app] ?? 0) + 1;
      }
      expect(by).toEqual({ v1: 30, v2: 10 });
    },
  },
  {
    layer: 'filters: request and response header modifiers',
    rules: (m) => [
      {
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-stage', value: 'canary' }] } },
          { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-route', value: 'web' }] } },
        ],
        backendRefs: [m.to('v1')],
      },
    ],
    check: async (m) => {
      const r = await m.send('/h', { headers: { 'x-echo-headers': 'x-stage' } });
      expect(r.status).toBe(200);
      expect(r.headers['x-seen-x-stage']).toBe('canary');
      expect(r.headers['x-route']).toBe('web');
    },
  },
  {
    layer: 'filters: CORS answers preflights itself and adds the CORS headers to allowed origins only',
    rules: (m) => [
      {
        filters: [
          {
            type: 'CORS',
            cors: {
              allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
              allowMethods: ['GET', 'OPTIONS'],
              allowHeaders: ['x-header-1', 'x-header-2'],
              exposeHeaders: ['x-header-3', 'x-header-4'],
              allowCredentials: true,
              maxAge: 3600,
            },
          },
        ],
        backendRefs: [m.to('v1')],
      },
    ],
    check: async (m) => {
      const reached = () => m.apps.v1!.seen.filter((s) => s.path.startsWith('/cors')).length;
      const before = reached();
      const preflight = (origin: string) =>
        m.send('/cors-1', {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'x-header-1, x-header-2',
          },
        });
      for (const origin of ['https://www.foo.com', 'https://xpto.www.bar.com']) {
        const p = await preflight(origin);
        expect(p.status).toBe(200);
        expect(p.headers).toMatchObject({
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, OPTIONS',
          'access-control-allow-headers': 'x-header-1, x-header-2',
          'access-control-expose-headers': 'x-header-3, x-header-4',
          'access-control-max-age': '3600',
          'access-control-allow-credentials': 'true',
        });
        expect(proxyError(p)).toBeUndefined();
      }
      const refused = await preflight('https://foobar.com');
      expect(refused.status).toBe(200);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      // preflights are the proxy's to answer: the app saw none of them
      expect(reached()).toBe(before);

      const simple = await m.send('/cors-1', { headers: { origin: 'https://www.bar.com' } });
      expect(simple.status).toBe(200);
      expect(simple.headers['x-served-by']).toBe('v1');
      expect(simple.headers).toMatchObject({
        'access-control-allow-origin': 'https://www.bar.com',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-header-3, x-header-4',
      });
      const other = await m.send('/cors-1', { headers: { origin: 'https://foobar.com' } });
      expect(other.status).toBe(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const noOrigin = await m.send('/cors-1');
      expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();
      expect(reached()).toBe(before + 3);
    },
  },
  {
    layer: 'filters: URLRewrite of the path prefix',
    rules: (m) => [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
        filters: [
          { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } },
        ],
        backendRefs: [m.to('v1')],
      },
    ],
    check: async (m) => {
      const r = await m.send('/old/page?q=1');
      expect(r.body).toBe('v1 /new/page?q=1');
    },
  },
  {
    layer: 'filters: RequestRedirect answers without an upstream request',
    rules: () => [
      { filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.org', statusCode: 301 } }] },
    ],
    check: async (m) => {
      const before = m.apps.v1!.seen.length;
      const r = await m.send('/moved');
      expect(r.status).toBe(301);
      expect(r.headers.location).toMatch(/^http:\/\/example\.org(:\d+)?\/moved$/);
      expect(m.apps.v1!.seen.length).toBe(before);
    },
  },
  {
    layer: 'mirror: the mirror gets a copy, the client the real answer',
    rules: (m) => [
      {
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: m.to('mirror') } }],
        backendRefs: [m.to('v1')],
      },
    ],
    check: async (m) => {
      const r = await m.send('/copied');
      expect(r.body).toBe('v1 /copied');
      const deadline = Date.now() + 5_000;
      while (!m.apps.mirror!.seen.some((s) => s.path === '/copied') && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 10));
      }
      expect(m.apps.mirror!.seen.map((s) => s.path)).toContain('/copied');
    },
  },
  {
    layer: 'timeouts.request: 504 request timeout',
    rules: (m) => [{ timeouts: { request: '200ms' }, backendRefs: [m.to('v1')] }],
    check: async (m) => {
      const r = await m.send('/delay/3000');
      expect(r.status).toBe(504);
      expect(proxyError(r)).toBe('request timeout');
    },
  },
  {
    layer: 'timeouts.backendRequest with a retry: each try bounded, then 504 backend request timeout',
    rules: (m) => [
      { timeouts: { backendRequest: '150ms' }, retry: { attempts: 1, backoff: '1ms' }, backendRefs: [m.to('v2')] },
    ],
    check: async (m) => {
      const before = m.apps.v2!.seen.filter((s) => s.path === '/delay/3000').length;
      const r = await m.send('/delay/3000');
      expect(r.status).toBe(504);
      expect(proxyError(r)).toBe('backend request timeout');
      expect(m.apps.v2!.seen.filter((s) => s.path === '/delay/3000').length - before).toBe(2);
    },
  },
  {
    layer: 'retry on a status in codes: 503 then 200',
    rules: (m) => [{ retry: { codes: [503], attempts: 2, backoff: '1ms' }, backendRefs: [m.to('v1')] }],
    check: async (m) => {
      const r = await m.send('/flaky/a?fail=1&code=503');
      expect(r.status).toBe(200);
      expect(m.apps.v1!.seen.filter((s) => s.path.startsWith('/flaky/a')).length).toBe(2);
    },
  },
  {
    layer: 'retry after a reset (idempotent GET): reset then 200',
    rules: (m) => [{ retry: { attempts: 2, backoff: '1ms' }, backendRefs: [m.to('v2')] }],
    check: async (m) => {
      const r = await m.send('/flaky/b?fail=1&code=reset');
      expect(r.status).toBe(200);
    },
  },
  {
    layer: 'connection refused: 502 without retries, 503 once retries are used up (conformance)',
    rules: (m) => [
      { matches: [{ path: { type: 'PathPrefix', value: '/plain' } }], backendRefs: [m.to('dead')] },
      { retry: { attempts: 2, backoff: '1ms' }, backendRefs: [m.to('dead')] },
    ],
    check: async (m) => {
      const plain = await m.send('/plain');
      expect(plain.status).toBe(502);
      expect(proxyError(plain)).toBe('connection refused');
      const retried = await m.send('/retried');
      expect(retried.status).toBe(503);
      expect(proxyError(retried)).toBe('connection refused');
    },
  },
  {
    layer: 'balancing: an endpoint answering 429 with Retry-After is avoided while another one serves',
    rules: (m) => [{ backendRefs: [m.to('pool')] }],
    check: async (m) => {
      const served: string[] = [];
      for (let i = 0; i < 30; i++) served.push(String((await m.send('/overloaded')).headers['x-served-by']));
      const first = served.indexOf('busy');
      // P2C over two endpoints compares both: once busy said 429 it gets nothing for its Retry-After (30 s)
      expect(served.filter((a, i) => a === 'busy' && i !== first)).toEqual([]);
      expect(served.filter((a) => a === 'calm').length).toBeGreaterThanOrEqual(29);
    },
  },
];

for (const protocol of ['http1', 'h2c'] as Protocol[]) {
  describe(`one policy stack, over ${protocol}`, () => {
    let m: DualMesh;
    beforeAll(async () => {
      m = await DualMesh.start(protocol, ['v1', 'v2', 'mirror', 'busy', 'calm']);
    });
    afterAll(async () => {
      await m?.close();
    });
    for (const c of cases) {
      it(c.layer, async () => {
        await m.routes(c.rules(m));
        await c.check(m);
      });
    }
  });
}
