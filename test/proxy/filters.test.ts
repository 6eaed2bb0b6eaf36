import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inParallel } from './support/harness.js';
import { RouteMesh } from './support/route-mesh.js';

/**
 * HTTPRoute filters through the outbound proxy, case by case as the Gateway API conformance suite
 * states them: a route, a request, the backend that must serve it and what it must see, or the
 * redirect the client must get.
 */
describe('outbound proxy: HTTPRoute filters', () => {
  let m: RouteMesh;
  const seen = RouteMesh.seen;

  beforeAll(async () => {
    m = await RouteMesh.start(['echo-v1', 'echo-v2']);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('RequestHeaderModifier: set replaces any case, add appends as a,b, remove drops every line', async () => {
    await m.apply([
      {
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }],
              add: [{ name: 'X-Header-Add', value: 'add-appends-values' }],
              remove: ['X-Header-Remove'],
            },
          },
        ],
        backendRefs: [m.to('echo-v1')],
      },
    ]);
    const r = await m.send('/', {
      headers: [
        'host',
        'echo',
        'x-header-set',
        'some-other-value',
        'X-HEADER-SET',
        'and-another',
        'x-header-add',
        'header-val-1',
        'X-Header-Add',
        'header-val-2',
        'x-header-remove',
        'gone',
        'X-Header-Remove',
        'gone-too',
        'x-other',
        'kept',
      ],
    });
    expect(r.status).toBe(200);
    const s = seen(r);
    expect(s.app).toBe('echo-v1');
    const raw = (s as unknown as { rawHeaders: string[] }).rawHeaders;
    const lines = (name: string) => raw.filter((_, i) => i % 2 === 0 && raw[i]!.toLowerCase() === name).length;
    expect(s.headers['x-header-set']).toBe('set-overwrites-values');
    expect(lines('x-header-set')).toBe(1);
    expect(s.headers['x-header-add']).toBe('header-val-1,header-val-2,add-appends-values');
    expect(s.headers['x-header-remove']).toBeUndefined();
    expect(s.headers['x-other']).toBe('kept');
    // add on a header the request does not carry adds it
    const bare = seen(await m.send('/'));
    expect(bare.headers['x-header-add']).toBe('add-appends-values');
    expect(bare.headers['x-header-set']).toBe('set-overwrites-values');
  });

  it('ResponseHeaderModifier edits the backend response before the client sees it', async () => {
    await m.apply([
      {
        filters: [
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: {
              set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }],
              add: [
                { name: 'x-Mixedcase-ADD-1', value: 'added' },
                { name: 'X-Header-Add', value: 'appended' },
              ],
              remove: ['X-Header-Remove'],
            },
          },
        ],
        backendRefs: [m.to('echo-v1')],
      },
    ]);
    const r = await m.send('/', {
      headers: { 'x-echo-set-header': 'X-Header-Set:original,x-header-add:existing,X-Header-Remove:val' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-header-set']).toBe('set-overwrites-values');
    expect(r.headers['x-header-add']).toBe('existing,appended');
    expect(r.headers['x-mixedcase-add-1']).toBe('added');
    expect(r.headers['x-header-remove']).toBeUndefined();
    expect(r.headers['x-served-by']).toBe('echo-v1');
  });

  it('backendRef filters apply only to requests that backend serves', async () => {
    const tag = (name: string) => ({
      ...m.to(name),
      filters: [
        { type: 'RequestHeaderModifier' as const, requestHeaderModifier: { set: [{ name: 'Backend', value: name }] } },
        { type: 'ResponseHeaderModifier' as const, responseHeaderModifier: { add: [{ name: 'X-Via', value: name }] } },
      ],
    });
    await m.apply([{ backendRefs: [tag('echo-v1'), tag('echo-v2')] }]);
    const replies = await inParallel(100, 8, () => m.send('/', { headers: { backend: 'client' } }));
    const counts: Record<string, number> = {};
    for (const r of replies) {
      const s = seen(r);
      expect(s.headers.backend).toBe(s.app);
      expect(r.headers['x-via']).toBe(s.app);
      counts[s.app] = (counts[s.app] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'echo-v1': 50, 'echo-v2': 50 });
  });

  it('URLRewrite: hostname and full path; the query is kept', async () => {
    await m.apply([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/full' } }],
        filters: [
          {
            type: 'URLRewrite',
            urlRewrite: { hostname: 'rewritten.example', path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } },
          },
        ],
        backendRefs: [m.to('echo-v1')],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/strip-prefix' } }],
        filters: [
          { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
        ],
        backendRefs: [m.to('echo-v2')],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/prefix/one/' } }],
        filters: [
          { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz/' } } },
        ],
        backendRefs: [m.to('echo-v2')],
      },
    ]);
    const cases: Array<[string, string, string, string | undefined]> = [
      // request, backend, path it must see, Host it must see (undefined: unchanged)
      ['/full/one/two?q=1', 'echo-v1', '/one?q=1', 'rewritten.example'],
      ['/strip-prefix', 'echo-v2', '/', undefined],
      ['/strip-prefix/three', 'echo-v2', '/three', undefined],
      ['/strip-prefix/three/?a=b', 'echo-v2', '/three/?a=b', undefined],
      ['/prefix/one', 'echo-v2', '/xyz', undefined],
      ['/prefix/one/two', 'echo-v2', '/xyz/two', undefined],
    ];
    for (const [path, app, upstream, host] of cases) {
      const s = seen(await m.send(path, { headers: { host: 'very.specific.com:1234' } }));
      expect({ path, app: s.app, url: s.url, host: s.headers.host }).toEqual({
        path,
        app,
        url: upstream,
        host: host ?? 'very.specific.com:1234',
      });
    }
  });

  it('RequestRedirect: scheme, hostname, port, path and status; Location keeps the dialled port', async () => {
    const echoPort = m.port('echo');
    const redirect = (path: string, requestRedirect: Record<string, unknown>) => ({
      matches: [{ path: { type: 'PathPrefix' as const, value: path } }],
      filters: [{ type: 'RequestRedirect' as const, requestRedirect }],
    });
    await m.apply([
      redirect('/hostname', { hostname: 'example.org' }),
      redirect('/status', { statusCode: 301 }),
      redirect('/scheme', { scheme: 'https' }),
      redirect('/port-80', { port: 80 }),
      redirect('/port-8443', { scheme: 'https', port: 8443 }),
      redirect('/full', { path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } }),
      redirect('/prefix', {
        hostname: 'example.org',
        path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement' },
      }),
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [m.to('echo-v1')] },
    ]);
    const cases: Array<[string, number, string]> = [
      ['/hostname/x?q=1', 302, `http://example.org:${echoPort}/hostname/x?q=1`],
      ['/status', 301, `http://redirect.example:${echoPort}/status`],
      ['/scheme/a', 302, 'https://redirect.example/scheme/a'],
      ['/port-80', 302, 'http://redirect.example/port-80'],
      ['/port-8443/b', 302, 'https://redirect.example:8443/port-8443/b'],
      ['/full/deep?k=v', 302, `http://redirect.example:${echoPort}/new?k=v`],
      ['/prefix/one/two', 302, `http://example.org:${echoPort}/replacement/one/two`],
      ['/prefix', 302, `http://example.org:${echoPort}/replacement`],
    ];
    for (const [path, status, location] of cases) {
      const r = await m.send(path, { headers: { host: `redirect.example:${echoPort}` } });
      expect({ path, status: r.status, location: r.headers.location }).toEqual({ path, status, location });
      expect(r.headers['weir-proxy-error']).toBeUndefined();
      expect(r.body).toBe('');
    }
    expect(m.apps['echo-v1']!.seen.some((s) => s.url.startsWith('/hostname'))).toBe(false);
    expect(seen(await m.send('/other')).app).toBe('echo-v1');
  });

  it('a RequestRedirect on a backendRef answers for that backend share only', async () => {
    await m.apply([
      {
        backendRefs: [
          m.to('echo-v1'),
          {
            ...m.to('echo-v2'),
            filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'moved.example', statusCode: 307 } }],
          },
        ],
      },
    ]);
    const replies = await inParallel(20, 4, () => m.send('/r'));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 307)).toHaveLength(10);
    expect(replies.find((r) => r.status === 307)!.headers.location).toBe(`http://moved.example:${m.port('echo')}/r`);
    expect(m.apps['echo-v2']!.seen.some((s) => s.url === '/r')).toBe(false);
  });

  it('filters run in the order listed: a header set after a rewrite sees the rewritten request', async () => {
    await m.apply([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        filters: [
          {
            type: 'URLRewrite',
            urlRewrite: {
              hostname: 'internal.example',
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
            },
          },
          { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Trace', value: 'route' }] } },
        ],
        backendRefs: [
          {
            ...m.to('echo-v1'),
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { add: [{ name: 'X-Trace', value: 'backend' }] },
              },
            ],
          },
        ],
      },
    ]);
    const s = seen(await m.send('/api/users?id=7', { headers: { 'x-trace': 'client' } }));
    expect(s).toMatchObject({ app: 'echo-v1', url: '/v2/users?id=7' });
    expect(s.headers.host).toBe('internal.example');
    expect(s.headers['x-trace']).toBe('client,route,backend');
  });

  it('an ExtensionRef filter is never skipped: 500 with the proxy error header', async () => {
    await m.apply([
      {
        filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.io', kind: 'Auth', name: 'x' } }],
        backendRefs: [m.to('echo-v1')],
      },
    ]);
    const before = m.apps['echo-v1']!.seen.length;
    const r = await m.send('/ext');
    expect(r.status).toBe(500);
    expect(r.headers['weir-proxy-error']).toMatch(/ExtensionRef Auth\/x is not supported/);
    expect(m.apps['echo-v1']!.seen.length).toBe(before);
  });

  it('/config lists the compiled filters and no "not applied" warnings', async () => {
    await m.apply([
      {
        filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }] } }],
        backendRefs: [m.to('echo-v1')],
        timeouts: { request: '2s' },
        retry: { codes: [503], attempts: 2 },
      },
    ]);
    const config = JSON.parse((await m.client.get(m.proxy.adminPort, '/config')).body);
    const echo = config.listeners.find((l: { service: string }) => l.service === 'echo');
    expect(echo.warnings).toBeUndefined();
    expect(echo.rules[0]).toMatchObject({
      filters: [{ type: 'RequestHeaderModifier', set: [{ name: 'X-A', value: '1' }] }],
      requestTimeoutMs: 2000,
      retry: { attempts: 2, codes: [503] },
    });
  });
});
