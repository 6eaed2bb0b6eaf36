import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { grpcRouteSchema, type GRPCRoute } from '../../../engine/resources/index.js';
import { compileRoutingTable, compileServicePortRoutes, type RoutableRequest } from '../../../engine/routing/index.js';
import { service } from './fixtures.js';

type RuleInput = NonNullable<z.input<typeof grpcRouteSchema>['spec']['rules']>[number];

function grpcRoute(name: string, rules: RuleInput[], o: { created?: string; namespace?: string } = {}): GRPCRoute {
  return grpcRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      ...(o.created !== undefined ? { creationTimestamp: o.created } : {}),
    },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'echo' }], rules },
  });
}

const to = (name: string, weight?: number) => ({
  group: '',
  kind: 'Service',
  name,
  port: 80,
  ...(weight !== undefined ? { weight } : {}),
});

const services = ['echo', 'a', 'b', 'c', 'd'].map((n) => service(n));

function compile(routes: GRPCRoute[]) {
  const inputs = { services, httpRoutes: [], grpcRoutes: routes };
  const parent = { namespace: 'default', service: 'echo', port: 80, portName: 'http' };
  return compileServicePortRoutes(compileRoutingTable(parent, inputs), inputs);
}

function call(path: string, headers: Record<string, string> = {}): RoutableRequest {
  return { method: 'POST', url: path, headers: { 'content-type': 'application/grpc', ...headers } };
}

/** which backend a call goes to ('-' when no route matches) */
function served(routes: GRPCRoute[], path: string, headers?: Record<string, string>): string {
  const rule = compile(routes).grpc?.route(call(path, headers));
  if (rule === undefined) return '-';
  return rule.pick().target?.service ?? `fail ${rule.pick().failStatus}`;
}

describe('GRPCRoute matching', () => {
  const routes = [
    grpcRoute('r', [
      { matches: [{ method: { service: 'pkg.Echo', method: 'Say' } }], backendRefs: [to('a')] },
      { matches: [{ method: { service: 'pkg.Echo' } }], backendRefs: [to('b')] },
      { matches: [{ method: { method: 'Say' } }], backendRefs: [to('c')] },
      {
        matches: [{ method: { type: 'RegularExpression', service: 'pkg\\.v[0-9]+\\.Admin', method: 'Get.*' } }],
        backendRefs: [to('d')],
      },
    ]),
  ];
  it.each([
    ['/pkg.Echo/Say', 'a', 'exact service and method'],
    ['/pkg.Echo/Shout', 'b', 'exact service, any method'],
    ['/other.Svc/Say', 'c', 'any service, exact method'],
    ['/pkg.echo/Say', 'c', 'service names are case-sensitive'],
    ['/pkg.Echo/say', 'b', 'method names are case-sensitive'],
    ['/pkg.v2.Admin/GetUser', 'd', 'regular expressions'],
    ['/pkg.v2.Admin/SetUser', '-', 'regular expressions are anchored'],
    ['/xpkg.v2.Admin/GetUser', '-', 'regular expressions are anchored (service)'],
    ['/other.Svc/Other', '-', 'unmatched: UNIMPLEMENTED'],
    ['/nothing', '-', 'not a gRPC path'],
  ])('%s -> %s (%s)', (path, want) => {
    expect(served(routes, path)).toBe(want);
  });

  it('headers are ANDed with the method, names case-insensitive, exact or regex', () => {
    const r = [
      grpcRoute('h', [
        {
          matches: [
            {
              method: { service: 'pkg.Echo' },
              headers: [
                { name: 'X-Version', value: 'two' },
                { name: 'x-user', type: 'RegularExpression', value: 'adm.n' },
              ],
            },
          ],
          backendRefs: [to('a')],
        },
        { matches: [{ headers: [{ name: 'x-version', value: 'two' }] }], backendRefs: [to('b')] },
        { backendRefs: [to('c')] },
      ]),
    ];
    expect(served(r, '/pkg.Echo/Say', { 'x-version': 'two', 'x-user': 'admin' })).toBe('a');
    expect(served(r, '/pkg.Echo/Say', { 'x-version': 'two', 'x-user': 'administrator' })).toBe('b');
    expect(served(r, '/other.S/Say', { 'x-version': 'two', 'x-user': 'admin' })).toBe('b');
    expect(served(r, '/pkg.Echo/Say')).toBe('c');
  });

  it('precedence: service beats method beats headers, then oldest route, then name, then rule order', () => {
    const cases: Array<[GRPCRoute[], string, string, Record<string, string>?]> = [
      // a service match outranks a method-only match with headers
      [
        [
          grpcRoute('x', [
            { matches: [{ method: { method: 'Say' }, headers: [{ name: 'h', value: '1' }] }], backendRefs: [to('a')] },
            { matches: [{ method: { service: 'pkg.Echo' } }], backendRefs: [to('b')] },
          ]),
        ],
        '/pkg.Echo/Say',
        'b',
      ],
      // an Exact service outranks a RegularExpression one
      [
        [
          grpcRoute('x', [
            { matches: [{ method: { type: 'RegularExpression', service: 'pkg\\..*' } }], backendRefs: [to('a')] },
            { matches: [{ method: { service: 'pkg.Echo' } }], backendRefs: [to('b')] },
          ]),
        ],
        '/pkg.Echo/Say',
        'b',
      ],
      // more headers win when method matches tie
      [
        [
          grpcRoute('x', [
            { matches: [{ method: { method: 'Say' } }], backendRefs: [to('a')] },
            { matches: [{ method: { method: 'Say' }, headers: [{ name: 'h', value: '1' }] }], backendRefs: [to('b')] },
          ]),
        ],
        '/s.S/Say',
        'b',
        { h: '1' },
      ],
      // full tie: the oldest route
      [
        [
          grpcRoute('new', [{ backendRefs: [to('a')] }], { created: '2024-02-01T00:00:00Z' }),
          grpcRoute('old', [{ backendRefs: [to('b')] }], { created: '2024-01-01T00:00:00Z' }),
        ],
        '/s.S/M',
        'b',
      ],
      // same age: namespace/name
      [
        [grpcRoute('zeta', [{ backendRefs: [to('a')] }]), grpcRoute('alpha', [{ backendRefs: [to('b')] }])],
        '/s.S/M',
        'b',
      ],
      // within a route: the first rule
      [[grpcRoute('x', [{ backendRefs: [to('c')] }, { backendRefs: [to('a')] }])], '/s.S/M', 'c'],
    ];
    cases.forEach(([r, path, want, headers], i) => expect([i, served(r, path, headers)]).toEqual([i, want]));
  });

  it('weights: exact shares per cycle, weight 0 never picked, unresolved backends fail their share', () => {
    const c = compile([grpcRoute('w', [{ backendRefs: [to('a', 70), to('b', 30), to('nope', 0)] }])]);
    const rule = c.grpc!.route(call('/s.S/M'))!;
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const b = rule.pick();
      const key = b.target?.service ?? 'fail';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 70, b: 30 });
    const broken = compile([grpcRoute('w', [{ backendRefs: [to('missing')] }])]).grpc!.route(call('/s.S/M'))!;
    expect(broken.pick().failStatus).toBe(500);
  });

  it('targets: HTTP table targets keep their indexes, GRPCRoute targets and the Service itself follow', () => {
    const c = compile([grpcRoute('t', [{ backendRefs: [to('a')] }])]);
    expect(c.targets.map((t) => [t.index, t.service])).toEqual([
      [0, 'echo'],
      [1, 'a'],
    ]);
    expect(c.self.service).toBe('echo');
    expect(c.self.index).toBe(0);
    const none = compile([]);
    expect(none.grpc).toBeUndefined();
  });

  it('invalid regular expressions never match and are reported', () => {
    const c = compile([
      grpcRoute('bad', [
        { matches: [{ method: { type: 'RegularExpression', service: '(' } }], backendRefs: [to('a')] },
        { backendRefs: [to('b')] },
      ]),
    ]);
    expect(c.grpc!.route(call('/x/y'))!.pick().target?.service).toBe('b');
    expect(c.grpc!.warnings.join()).toMatch(/invalid regular expression/);
  });
});
