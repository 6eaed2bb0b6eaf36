import { describe, expect, it } from 'vitest';
import type { HTTPRoute } from '../../../engine/resources/index.js';
import { compileRoutingTable, type RoutingTable } from '../../../engine/routing/index.js';
import { request, route, service, to, type MatchInput as HTTPRouteMatch, type Req } from './fixtures.js';

const services = ['echo', 'infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3'].map((n) => service(n));

function table(routes: HTTPRoute[]): RoutingTable {
  return compileRoutingTable(
    { namespace: 'default', service: 'echo', port: 80, portName: 'http' },
    {
      services,
      httpRoutes: routes,
    },
  );
}

/** the Service that serves `req`, or 404 */
function servedBy(t: RoutingTable, req: Req): string | number {
  const rule = t.route(request(req));
  if (rule === undefined) return 404;
  const b = rule.pick();
  return b.failStatus !== 0 ? b.failStatus : (b.target?.service ?? '?');
}

interface Case {
  req: Req;
  backend: string | number;
}

function rule(backend: string, ...matches: HTTPRouteMatch[]) {
  return { matches, backendRefs: [to(backend)] };
}
const prefix = (value: string): HTTPRouteMatch => ({ path: { type: 'PathPrefix', value } });
const exact = (value: string): HTTPRouteMatch => ({ path: { type: 'Exact', value } });
const regex = (value: string): HTTPRouteMatch => ({ path: { type: 'RegularExpression', value } });
const headers = (h: Record<string, string>, path = '/'): HTTPRouteMatch => ({
  path: { type: 'PathPrefix', value: path },
  headers: Object.entries(h).map(([name, value]) => ({ type: 'Exact' as const, name, value })),
});
const v1 = 'infra-backend-v1';
const v2 = 'infra-backend-v2';
const v3 = 'infra-backend-v3';

function runCases(name: string, routes: HTTPRoute[], cases: Case[]) {
  describe(name, () => {
    const t = table(routes);
    it.each(cases.map((c) => [`${c.req.method ?? 'GET'} ${c.req.url} ${JSON.stringify(c.req.headers ?? {})}`, c]))(
      '%s',
      (_label, c) => {
        expect(servedBy(t, (c as Case).req)).toBe((c as Case).backend);
      },
    );
  });
}

// HTTPRouteSimpleSameNamespace / HTTPRouteExactPathMatching / HTTPRouteMatching
runCases(
  'path matching: Exact is byte-exact, PathPrefix is on whole segments',
  [route('exact', [rule(v1, exact('/one')), rule(v2, exact('/two')), rule(v3, prefix('/v2/'))])],
  [
    { req: { url: '/one' }, backend: v1 },
    { req: { url: '/two' }, backend: v2 },
    { req: { url: '/two?x=1' }, backend: v2 },
    { req: { url: '/' }, backend: 404 },
    { req: { url: '/one/' }, backend: 404 },
    { req: { url: '/One' }, backend: 404 },
    { req: { url: '/twoo' }, backend: 404 },
    { req: { url: '/v2' }, backend: v3 },
    { req: { url: '/v2/' }, backend: v3 },
    { req: { url: '/v2/example' }, backend: v3 },
    { req: { url: '/v2example' }, backend: 404 },
    { req: { url: '/v2?q=/v2/' }, backend: v3 },
    { req: { url: '/V2' }, backend: 404 },
  ],
);

// HTTPRoutePathMatchOrder
runCases(
  'path match order: Exact beats every prefix, longer prefix beats shorter',
  [
    route('order', [
      rule(v1, prefix('/match/')),
      rule(v2, prefix('/match/prefix/')),
      rule(v3, exact('/match/exact')),
      rule('echo', prefix('/match/exact/one')),
    ]),
  ],
  [
    { req: { url: '/match' }, backend: v1 },
    { req: { url: '/match/anything' }, backend: v1 },
    { req: { url: '/match/prefix' }, backend: v2 },
    { req: { url: '/match/prefix/any' }, backend: v2 },
    { req: { url: '/match/exact' }, backend: v3 },
    { req: { url: '/match/exact/one' }, backend: 'echo' },
    { req: { url: '/match/exact/two' }, backend: v1 },
  ],
);

// HTTPRouteMatching: header match with implicit prefix / beats a bare PathPrefix /
runCases(
  'matching: more header matches beat a shorter path tie',
  [route('matching', [rule(v1, prefix('/')), rule(v2, headers({ version: 'two' }))])],
  [
    { req: { url: '/' }, backend: v1 },
    { req: { url: '/', headers: { version: 'two' } }, backend: v2 },
    { req: { url: '/', headers: { Version: 'two' } }, backend: v2 },
    { req: { url: '/', headers: { version: 'Two' } }, backend: v1 },
  ],
);

// HTTPRouteHeaderMatching
runCases(
  'header matching: names case-insensitive, values exact, earlier rule wins a tie',
  [
    route('headers', [
      rule(v1, headers({ version: 'one' })),
      rule(v2, headers({ version: 'two' })),
      rule(v1, headers({ version: 'two', color: 'orange' })),
      rule(v2, headers({ color: 'blue' })),
      rule(v3, { headers: [{ type: 'RegularExpression', name: 'x-user', value: 'a[0-9]+' }] }),
    ]),
  ],
  [
    { req: { url: '/', headers: { Version: 'one' } }, backend: v1 },
    { req: { url: '/', headers: { VERSION: 'two' } }, backend: v2 },
    { req: { url: '/', headers: { version: 'two', color: 'orange' } }, backend: v1 },
    { req: { url: '/', headers: { version: 'two', color: 'blue' } }, backend: v2 },
    { req: { url: '/', headers: { color: 'blue' } }, backend: v2 },
    { req: { url: '/', headers: { color: 'red' } }, backend: 404 },
    { req: { url: '/', headers: { 'x-user': 'a42' } }, backend: v3 },
    { req: { url: '/', headers: { 'x-user': 'ba42' } }, backend: 404 },
    { req: { url: '/', headers: { 'x-user': 'a42b' } }, backend: 404 },
  ],
);

// HTTPRouteMethodMatching
runCases(
  'method matching: a method match beats headers, a longer path beats a method',
  [
    route('method', [
      rule(v1, { method: 'POST' }),
      rule(v2, { method: 'GET' }),
      rule(v1, { method: 'PATCH' }),
      rule(v2, headers({ version: 'four' })),
      rule(v3, prefix('/path5')),
    ]),
  ],
  [
    { req: { method: 'POST', url: '/' }, backend: v1 },
    { req: { method: 'GET', url: '/' }, backend: v2 },
    { req: { method: 'HEAD', url: '/' }, backend: 404 },
    { req: { method: 'PATCH', url: '/', headers: { version: 'four' } }, backend: v1 },
    { req: { method: 'PUT', url: '/', headers: { version: 'four' } }, backend: v2 },
    { req: { method: 'PATCH', url: '/path5' }, backend: v3 },
  ],
);

// HTTPRouteQueryParamMatching
runCases(
  'query param matching: names case-sensitive, first value wins, headers beat query params',
  [
    route('query', [
      rule(v1, { queryParams: [{ type: 'Exact', name: 'animal', value: 'whale' }] }),
      rule(v2, { queryParams: [{ type: 'Exact', name: 'animal', value: 'dolphin' }] }),
      rule(v3, {
        queryParams: [
          { type: 'Exact', name: 'animal', value: 'dolphin' },
          { type: 'Exact', name: 'color', value: 'blue' },
        ],
      }),
      rule(v1, { queryParams: [{ type: 'RegularExpression', name: 'id', value: '[0-9]{3}' }] }),
      rule(v2, headers({ version: 'four' })),
      rule(v3, prefix('/path5')),
    ]),
  ],
  [
    { req: { url: '/?animal=whale' }, backend: v1 },
    { req: { url: '/?animal=dolphin' }, backend: v2 },
    { req: { url: '/?animal=dolphin&color=blue' }, backend: v3 },
    { req: { url: '/?ANIMAL=whale' }, backend: 404 },
    { req: { url: '/?animal=whale&animal=dolphin' }, backend: v1 },
    { req: { url: '/?animal=hydra', headers: { version: 'four' } }, backend: v2 },
    { req: { url: '/path5?animal=whale' }, backend: v3 },
    { req: { url: '/?id=123' }, backend: v1 },
    { req: { url: '/?id=1234' }, backend: 404 },
    { req: { url: '/?animal=killer%20whale' }, backend: 404 },
    { req: { url: '/' }, backend: 404 },
  ],
);

runCases(
  'regular expression paths: anchored to the whole path, ranked after every prefix',
  [route('regex', [rule(v1, regex('/api/v[0-9]+')), rule(v2, prefix('/api/v1')), rule(v3, exact('/api/v9'))])],
  [
    { req: { url: '/api/v2' }, backend: v1 },
    { req: { url: '/api/v2?x=1' }, backend: v1 },
    { req: { url: '/api/v2/x' }, backend: 404 },
    { req: { url: '/x/api/v2' }, backend: 404 },
    { req: { url: '/api/v1' }, backend: v2 },
    { req: { url: '/api/v9' }, backend: v3 },
  ],
);

runCases(
  'ties across routes: oldest route first, then namespace/name',
  [
    route('zeta', [rule(v1, prefix('/same'))], { created: '2024-01-01T00:00:00Z' }),
    route('alpha', [rule(v2, prefix('/same'))], { created: '2024-06-01T00:00:00Z' }),
    route('beta', [rule(v1, prefix('/named'))], { created: '2024-01-01T00:00:00Z' }),
    route('alpha2', [rule(v3, prefix('/named'))], { created: '2024-01-01T00:00:00Z' }),
  ],
  [
    { req: { url: '/same' }, backend: v1 },
    { req: { url: '/named' }, backend: v3 },
  ],
);

describe('route attachment (GAMMA)', () => {
  const parent = { namespace: 'default', service: 'echo', port: 80, portName: 'http' };
  const svcs = [service('echo', [80, 8080]), service('infra-backend-v1'), service('infra-backend-v2')];
  const backendOf = (routes: HTTPRoute[], p = parent, client?: string): string | number =>
    ((t) => servedBy(t, { url: '/' }))(
      compileRoutingTable(p, { services: svcs, httpRoutes: routes }, { namespace: client }),
    );

  it('without attached routes everything goes to the Service itself', () => {
    const t = compileRoutingTable(parent, { services: svcs, httpRoutes: [] });
    expect(t.attached).toBe(false);
    expect(servedBy(t, { method: 'DELETE', url: '/any/thing?x=1' })).toBe('echo');
  });

  it.each<[string, HTTPRoute, string | number]>([
    ['all ports when port is unset', route('r', [{ backendRefs: [to(v1)] }]), v1],
    ['only the named port', route('r', [{ backendRefs: [to(v1)] }], { port: 8080 }), 'echo'],
    ['the matching port', route('r', [{ backendRefs: [to(v1)] }], { port: 80 }), v1],
    ['sectionName is the port name', route('r', [{ backendRefs: [to(v1)] }], { sectionName: 'http' }), v1],
    ['group core is accepted', route('r', [{ backendRefs: [to(v1)] }], { group: 'core' }), v1],
    ['a Gateway parent is not a Service', route('r', [{ backendRefs: [to(v1)] }], { kind: 'Gateway' }), 'echo'],
    ['another Service', route('r', [{ backendRefs: [to(v1)] }], { parent: 'other' }), 'echo'],
    [
      'parent namespace defaults to the route namespace',
      route('r', [{ backendRefs: [to(v1)] }], { namespace: 'other' }),
      'echo',
    ],
  ])('%s', (_name, r, expected) => {
    expect(backendOf([r])).toBe(expected);
  });

  it('consumer routes apply only to clients in their namespace, and replace producer routes there', () => {
    const producer = route('producer', [{ backendRefs: [to(v1)] }]);
    const consumer = route('consumer', [{ backendRefs: [{ ...to(v2), namespace: 'default' }] }], {
      namespace: 'client',
      parentNamespace: 'default',
    });
    expect(backendOf([producer, consumer], parent, 'client')).toBe(v2);
    expect(backendOf([producer, consumer], parent, 'elsewhere')).toBe(v1);
    expect(backendOf([producer, consumer], parent, 'default')).toBe(v1);
    expect(backendOf([producer, consumer])).toBe(v1);
  });

  it('a rule without matches matches everything; a rule without backends answers 500', () => {
    const t = compileRoutingTable(parent, {
      services: svcs,
      httpRoutes: [route('r', [{ matches: [exact('/none')] }, { backendRefs: [to(v1)] }])],
    });
    expect(servedBy(t, { url: '/none' })).toBe(500);
    expect(t.route(request({ url: '/none' }))?.pick().reason).toMatch(/no backendRefs/);
    expect(servedBy(t, { url: '/else' })).toBe(v1);
  });

  it('an invalid regular expression never matches and is reported', () => {
    const t = compileRoutingTable(parent, {
      services: svcs,
      httpRoutes: [route('r', [rule(v1, regex('/a(')), rule(v2, prefix('/b'))])],
    });
    expect(servedBy(t, { url: '/a(' })).toBe(404);
    expect(t.warnings.join()).toMatch(/invalid regular expression/);
  });
});
