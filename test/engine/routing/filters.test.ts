import { describe, expect, it } from 'vitest';
import {
  compilePathModifier,
  compilePolicy,
  compileRoutingTable,
  CompiledRedirect,
  modifyPath,
  modifyTarget,
  type CompiledFilters,
  type PathModifier,
} from '../../../engine/routing/index.js';
import { request, route, service, to, type RuleInput } from './fixtures.js';

const prefix = (matchValue: string, replacement: string): PathModifier =>
  compilePathModifier({ type: 'ReplacePrefixMatch', replacePrefixMatch: replacement }, matchValue)
    .modifier as PathModifier;

describe('URLRewrite / redirect path: ReplacePrefixMatch (HTTPPathModifier spec table)', () => {
  it.each<[string, string, string, string]>([
    // request, prefix match, replacePrefixMatch, upstream path
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    // conformance additions: never `//`
    ['/strip-prefix', '/strip-prefix', '/', '/'],
    ['/strip-prefix/three', '/strip-prefix', '/', '/three'],
    // a `/` match replaces nothing but itself
    ['/bar', '/', '/foo', '/foo/bar'],
  ])('%s with prefix %s -> %s gives %s', (path, match, replacement, expected) => {
    expect(modifyPath(path, prefix(match, replacement))).toBe(expected);
  });

  it('keeps the query string', () => {
    expect(modifyTarget('/foo/bar?a=1&b=/foo', prefix('/foo', '/xyz'))).toBe('/xyz/bar?a=1&b=/foo');
    expect(modifyTarget('/foo?x', prefix('/foo', ''))).toBe('/?x');
  });

  it('ReplaceFullPath replaces the whole path and keeps the query', () => {
    const full = compilePathModifier({ type: 'ReplaceFullPath', replaceFullPath: '/one' }, undefined).modifier!;
    expect(modifyTarget('/full/one/two', full)).toBe('/one');
    expect(modifyTarget('/full/one/two?q=1', full)).toBe('/one?q=1');
  });

  it('ReplacePrefixMatch without a single PathPrefix match is reported, not applied', () => {
    const r = compilePathModifier({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' }, undefined);
    expect(r.modifier).toBeUndefined();
    expect(r.problem).toMatch(/exactly one PathPrefix match/);
  });
});

describe('RequestRedirect Location', () => {
  const src = (o: Partial<Parameters<CompiledRedirect['location']>[0]> = {}) => ({
    url: '/path?q=1',
    host: 'echo.example:8080',
    scheme: 'http' as const,
    port: 80,
    fallbackHost: 'echo.default.svc.cluster.local',
    ...o,
  });
  const redirect = (scheme?: 'http' | 'https', port?: number, hostname?: string, path?: PathModifier) =>
    new CompiledRedirect(302, scheme, hostname, port, path);

  // HTTPRouteRedirectPortAndScheme: listener scheme:port, filter scheme, filter port -> Location scheme:port
  it.each<['http' | 'https', number, 'http' | 'https' | undefined, number | undefined, string]>([
    ['http', 80, undefined, undefined, 'http://example.com/path?q=1'],
    ['http', 80, undefined, 80, 'http://example.com/path?q=1'],
    ['http', 80, undefined, 8080, 'http://example.com:8080/path?q=1'],
    ['http', 80, 'https', undefined, 'https://example.com/path?q=1'],
    ['http', 80, 'https', 443, 'https://example.com/path?q=1'],
    ['http', 80, 'https', 8443, 'https://example.com:8443/path?q=1'],
    ['http', 8080, undefined, undefined, 'http://example.com:8080/path?q=1'],
    ['http', 8080, undefined, 80, 'http://example.com/path?q=1'],
    ['http', 8080, 'https', undefined, 'https://example.com/path?q=1'],
    ['https', 443, undefined, undefined, 'https://example.com/path?q=1'],
    ['https', 443, undefined, 443, 'https://example.com/path?q=1'],
    ['https', 443, undefined, 8443, 'https://example.com:8443/path?q=1'],
    ['https', 443, 'http', undefined, 'http://example.com/path?q=1'],
    ['https', 443, 'http', 80, 'http://example.com/path?q=1'],
    ['https', 443, 'http', 8080, 'http://example.com:8080/path?q=1'],
  ])('listener %s:%i, filter scheme %s port %s -> %s', (scheme, port, fScheme, fPort, location) => {
    const r = redirect(fScheme, fPort);
    expect(r.location(src({ scheme, port, host: `example.com:${port}` }))).toBe(location);
  });

  it('takes the hostname from Host without its port, or from the filter', () => {
    expect(redirect().location(src({ port: 80 }))).toBe('http://echo.example/path?q=1');
    expect(redirect().location(src({ host: '[::1]:8080', port: 80 }))).toBe('http://[::1]/path?q=1');
    expect(redirect(undefined, undefined, 'example.org').location(src())).toBe('http://example.org/path?q=1');
    expect(redirect().location(src({ host: undefined }))).toBe('http://echo.default.svc.cluster.local/path?q=1');
  });

  it('keeps the port the client dialled when neither scheme nor port is set', () => {
    expect(redirect(undefined, undefined, 'example.org').location(src({ port: 5678 }))).toBe(
      'http://example.org:5678/path?q=1',
    );
  });

  it('rewrites the path (full or prefix) and keeps the query', () => {
    const full = compilePathModifier({ type: 'ReplaceFullPath', replaceFullPath: '/new' }, undefined).modifier;
    expect(redirect(undefined, undefined, undefined, full).location(src({ url: '/old/x?a=b' }))).toBe(
      'http://echo.example/new?a=b',
    );
    expect(redirect(undefined, undefined, undefined, prefix('/old', '/new')).location(src({ url: '/old/x' }))).toBe(
      'http://echo.example/new/x',
    );
  });
});

describe('rule compilation: filters, timeouts and retries', () => {
  const services = [service('echo'), service('echo-v1'), service('echo-v2'), service('mirror')];
  const parent = { namespace: 'default', service: 'echo', port: 80, portName: 'http' };
  const table = (rules: RuleInput[]) => compileRoutingTable(parent, { services, httpRoutes: [route('r', rules)] });

  it('a rule without filters or policy stays on the plain path', () => {
    const t = table([{ backendRefs: [to('echo-v1')] }]);
    const rule = t.route(request({ url: '/' }))!;
    expect(rule.plain).toBe(true);
    expect(t.warnings).toEqual([]);
  });

  it('compiles rule and backend filters in order; backend filters belong to their backend only', () => {
    const t = table([
      {
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }] } },
          { type: 'RequestMirror', requestMirror: { backendRef: to('mirror'), percent: 50 } },
          { type: 'URLRewrite', urlRewrite: { hostname: 'rewritten.example' } },
        ],
        backendRefs: [
          {
            ...to('echo-v1'),
            filters: [
              { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-B', value: 'v1' }] } },
            ],
          },
          to('echo-v2'),
        ],
      },
    ]);
    const rule = t.route(request({ url: '/' }))!;
    expect(rule.plain).toBe(false);
    expect(rule.filters!.steps.map((s) => s.kind)).toEqual(['headers', 'mirror', 'rewrite']);
    expect(rule.filters!.mirrors).toBe(true);
    const mirror = rule.filters!.steps[1] as Extract<CompiledFilters['steps'][number], { kind: 'mirror' }>;
    expect(mirror.mirror).toMatchObject({ numerator: 50, denominator: 100 });
    expect(mirror.mirror.backend.target?.service).toBe('mirror');
    expect(t.targets.map((x) => x.service)).toContain('mirror');
    const [v1, v2] = rule.backends;
    expect(v1!.filters!.response?.add).toEqual(['X-B', 'v1']);
    expect(v2!.filters).toBeUndefined();
    const described = JSON.stringify(t.describe());
    expect(described).toContain('RequestMirror');
    expect(described).not.toContain('not applied yet');
  });

  it('a mirror to a missing Service is dropped with a warning; the rule still serves', () => {
    const t = table([
      {
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: to('nope') } }],
        backendRefs: [to('echo-v1')],
      },
    ]);
    expect(t.warnings.join('\n')).toMatch(/RequestMirror dropped: backend default\/nope:80: Service not found/);
    expect(t.route(request({ url: '/' }))!.filters).toBeUndefined();
  });

  it('ExtensionRef is never skipped: its requests fail with 500; CORS compiles to a step of its own', () => {
    const t = table([
      {
        filters: [
          { type: 'CORS', cors: { allowOrigins: ['*'] } },
          { type: 'ExtensionRef', extensionRef: { group: 'x.io', kind: 'Thing', name: 't' } },
        ],
        backendRefs: [to('echo-v1')],
      },
    ]);
    expect(t.warnings.join('\n')).not.toMatch(/CORS/);
    expect(t.route(request({ url: '/' }))!.filters!.steps).toEqual([
      expect.objectContaining({ kind: 'cors' }),
      expect.objectContaining({ kind: 'fail', status: 500 }),
    ]);
  });

  it('fraction sampling and percent 0', () => {
    const t = table([
      {
        filters: [
          {
            type: 'RequestMirror',
            requestMirror: { backendRef: to('mirror'), fraction: { numerator: 1, denominator: 3 } },
          },
          { type: 'RequestMirror', requestMirror: { backendRef: to('mirror'), percent: 0 } },
        ],
        backendRefs: [to('echo-v1')],
      },
    ]);
    const steps = t.route(request({ url: '/' }))!.filters!.steps;
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ mirror: { numerator: 1, denominator: 3 } });
  });
});

describe('timeouts and retry policy', () => {
  it.each<[string, RuleInput, Record<string, unknown> | undefined]>([
    ['nothing set', {}, undefined],
    ['request timeout', { timeouts: { request: '500ms' } }, { requestTimeoutMs: 500, backendRequestTimeoutMs: 0 }],
    ['0s disables', { timeouts: { request: '0s', backendRequest: '0s' } }, undefined],
    [
      'summed units',
      { timeouts: { request: '1m30s', backendRequest: '1s500ms' } },
      { requestTimeoutMs: 90_000, backendRequestTimeoutMs: 1500 },
    ],
  ])('%s', (_, rule, expected) => {
    const p = compilePolicy(route('r', [rule]).spec.rules[0]!);
    if (expected === undefined) expect(p).toBeUndefined();
    else expect(p).toMatchObject(expected);
  });

  it('retry: attempts counts retries, codes are a set, defaults for attempts and backoff', () => {
    const p = compilePolicy(
      route('r', [{ retry: { codes: [503, 500, 503], attempts: 2, backoff: '100ms' } }]).spec.rules[0]!,
    )!;
    expect(p.retry!.attempts).toBe(2);
    expect(p.retry!.codes).toEqual([500, 503]);
    expect(p.retry!.retriesStatus(503)).toBe(true);
    expect(p.retry!.retriesStatus(502)).toBe(false);
    expect(p.retry!.retriesStatus(200)).toBe(false);
    // exponential, capped at max(backoff, 250 ms): never shorter than asked
    expect([1, 2, 3, 4].map((n) => p.retry!.delayMs(n))).toEqual([100, 200, 250, 250]);
    const d = compilePolicy(route('r', [{ retry: {} }]).spec.rules[0]!)!;
    expect(d.retry).toMatchObject({ attempts: 1, codes: [], backoffMs: 25 });
    expect(compilePolicy(route('r', [{ retry: { attempts: 0 } }]).spec.rules[0]!)).toBeUndefined();
    const slow = compilePolicy(route('r', [{ retry: { backoff: '1s' } }]).spec.rules[0]!)!;
    expect([1, 2].map((n) => slow.retry!.delayMs(n))).toEqual([1000, 1000]);
  });
});
