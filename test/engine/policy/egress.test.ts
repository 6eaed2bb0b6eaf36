import { describe, expect, it } from 'vitest';
import { EgressPolicy, GLOBAL_EGRESS_NAMESPACE, type EgressObjects } from '../../../engine/policy/egress.js';
import {
  egressNetworkSchema,
  httpRouteSchema,
  parseManifests,
  tcpRouteSchema,
  tlsRouteSchema,
  type EgressNetwork,
  type HTTPRoute,
  type TCPRoute,
  type TLSRoute,
} from '../../../engine/resources/index.js';

function net(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): EgressNetwork {
  return egressNetworkSchema.parse({
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'EgressNetwork',
    metadata: { namespace: ns, name, ...extra },
    spec,
  });
}

const parent = (name: string, ns: string, port?: number) => ({
  group: 'policy.linkerd.io',
  kind: 'EgressNetwork',
  name,
  namespace: ns,
  ...(port !== undefined ? { port } : {}),
});

function httpRoute(ns: string, name: string, spec: Record<string, unknown>): HTTPRoute {
  return httpRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { namespace: ns, name },
    spec,
  });
}

function objects(o: Partial<EgressObjects>): EgressObjects {
  return { egressNetworks: [], httpRoutes: [], tcpRoutes: [], tlsRoutes: [], ...o };
}

const GET = (url: string) => ({ method: 'GET', url, headers: {} });

describe('EgressNetwork schema', () => {
  it('accepts Linkerd 2.17 manifests and rejects bad ones with the file, document and field path', () => {
    const text = `apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: all, namespace: test }
spec: { trafficPolicy: Allow }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: bad, namespace: test }
spec:
  trafficPolicy: Block
  networks: [{ cidr: 10.0.0.0/8, except: [192.168.0.0/16, nope] }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: none, namespace: test, annotations: { weir.io/audit: "yes" } }
spec: {}
`;
    const r = parseManifests(text, 'egress.yaml');
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['all']);
    const lines = r.errors.map((e) => `${e.file}[${e.doc}] ${e.path}: ${e.message}`);
    expect(lines).toContain('egress.yaml[2] spec.trafficPolicy: expected one of "Allow", "Deny", got "Block"');
    expect(lines).toContain(
      'egress.yaml[2] spec.networks[0].except[1]: expected a CIDR like 10.0.0.0/8 or fd00::/8, got "nope"',
    );
    expect(lines).toContain('egress.yaml[2] spec.networks[0].except[0]: "192.168.0.0/16" is not inside "10.0.0.0/8"');
    expect(lines).toContain('egress.yaml[3] spec.trafficPolicy: required: expected one of "Allow", "Deny"');
    expect(lines).toContain('egress.yaml[3] metadata.annotations.weir.io/audit: expected "true" or "false", got "yes"');
  });

  it('reads TCPRoute and TLSRoute (v1alpha2) and names a bad field', () => {
    expect(() =>
      tcpRouteSchema.parse({
        apiVersion: 'gateway.networking.k8s.io/v1alpha2',
        kind: 'TCPRoute',
        metadata: { name: 't', namespace: 'test' },
        spec: { parentRefs: [parent('n', 'test')], rules: [{ backendRefs: [{ name: 'db', port: 5432 }] }] },
      }),
    ).not.toThrow();
    const bad = tlsRouteSchema.safeParse({
      apiVersion: 'gateway.networking.k8s.io/v1alpha2',
      kind: 'TLSRoute',
      metadata: { name: 't', namespace: 'test' },
      spec: { hostnames: ['Not A Host'], rules: [{}] },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['spec', 'hostnames', 0]);
  });
});

describe('which EgressNetwork an address falls in (Linkerd resolve_egress_network)', () => {
  it('without networks, every address; with them, a cidr minus its except ranges', () => {
    const p = new EgressPolicy(
      objects({
        egressNetworks: [
          net('test', 'all', { trafficPolicy: 'Allow' }),
          net('test', 'ten', { trafficPolicy: 'Deny', networks: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }] }),
        ],
      }),
      'test',
    );
    expect(p.network('10.2.3.4')?.name).toBe('ten');
    expect(p.network('10.1.3.4')?.name).toBe('all');
    expect(p.network('2001:db8::1')?.name).toBe('all');
  });

  it('the most specific network wins, then the oldest, then namespace/name', () => {
    const p = new EgressPolicy(
      objects({
        egressNetworks: [
          net('test', 'wide', { trafficPolicy: 'Allow', networks: [{ cidr: '127.0.0.0/8' }] }),
          net('test', 'narrow', { trafficPolicy: 'Deny', networks: [{ cidr: '127.0.0.2/32' }] }),
          net(
            'test',
            'b',
            { trafficPolicy: 'Deny', networks: [{ cidr: '10.0.0.0/8' }] },
            { creationTimestamp: '2026-01-01T00:00:00Z' },
          ),
          net(
            'test',
            'c',
            { trafficPolicy: 'Deny', networks: [{ cidr: '10.0.0.0/8' }] },
            { creationTimestamp: '2025-01-01T00:00:00Z' },
          ),
          net('test', 'y', { trafficPolicy: 'Deny', networks: [{ cidr: '192.168.0.0/16' }] }),
          net('test', 'x', { trafficPolicy: 'Deny', networks: [{ cidr: '192.168.0.0/16' }] }),
        ],
      }),
      'test',
    );
    expect(p.network('127.0.0.2')?.name).toBe('narrow');
    expect(p.network('127.0.0.3')?.name).toBe('wide');
    expect(p.network('10.0.0.1')?.name).toBe('c');
    expect(p.network('192.168.1.1')?.name).toBe('x');
  });

  it("the client's own namespace only when it has any, else the global egress namespace; never another's", () => {
    const nets = [
      net(GLOBAL_EGRESS_NAMESPACE, 'global', { trafficPolicy: 'Deny' }),
      net('shop', 'shop-only', { trafficPolicy: 'Allow', networks: [{ cidr: '10.0.0.0/8' }] }),
    ];
    const shop = new EgressPolicy(objects({ egressNetworks: nets }), 'shop');
    expect(shop.network('10.0.0.1')?.name).toBe('shop-only');
    // the global one is not looked at once the namespace has its own, even for addresses they miss
    expect(shop.network('8.8.8.8')).toBeUndefined();
    const other = new EgressPolicy(objects({ egressNetworks: nets }), 'other');
    expect(other.network('10.0.0.1')?.name).toBe('global');
    expect(new EgressPolicy(objects({ egressNetworks: [nets[1]!] }), 'other').empty).toBe(true);
  });
});

describe('what egress traffic gets', () => {
  const deny = net('test', 'ext', { trafficPolicy: 'Deny' });

  it('the default routes of the trafficPolicy: http-egress-allow/deny, tcp-egress-allow/deny', () => {
    const allowP = new EgressPolicy(
      objects({ egressNetworks: [net('test', 'ext', { trafficPolicy: 'Allow' })] }),
      'test',
    );
    expect(allowP.http('1.2.3.4', 80, 'a.example', GET('/'))).toMatchObject({
      action: 'allow',
      backend: { kind: 'forward' },
      route: { kind: 'default', name: 'http-egress-allow' },
      network: { namespace: 'test', name: 'ext' },
    });
    const denyP = new EgressPolicy(objects({ egressNetworks: [deny] }), 'test');
    expect(denyP.http('1.2.3.4', 80, 'a.example', GET('/'))).toMatchObject({
      action: 'deny',
      route: { name: 'http-egress-deny' },
    });
    expect(denyP.connection('1.2.3.4', 443, 'a.example')).toMatchObject({
      action: 'deny',
      route: { name: 'tcp-egress-deny' },
    });
  });

  it('an HTTPRoute parented to a Deny network allows what it matches (port, hostname, path), the rest is denied', () => {
    const route = httpRoute('test', 'get-only', {
      parentRefs: [parent('ext', 'test', 80)],
      hostnames: ['api.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/get' }, method: 'GET' }] }],
    });
    const p = new EgressPolicy(objects({ egressNetworks: [deny], httpRoutes: [route] }), 'test');
    expect(p.http('1.2.3.4', 80, 'api.example.com', GET('/get/x'))).toMatchObject({
      action: 'allow',
      backend: { kind: 'forward' },
      route: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'test', name: 'get-only' },
    });
    expect(p.http('1.2.3.4', 80, 'api.example.com', { ...GET('/get'), method: 'POST' })?.action).toBe('deny');
    expect(p.http('1.2.3.4', 80, 'api.example.com', GET('/post'))?.action).toBe('deny');
    expect(p.http('1.2.3.4', 8080, 'api.example.com', GET('/get'))?.action).toBe('deny');
    expect(p.http('1.2.3.4', 80, 'other.example.com', GET('/get'))?.action).toBe('deny');
  });

  it('a route backend: its parent EgressNetwork is the original destination, a Service is that Service, others are invalid', () => {
    const route = (name: string, backendRefs: unknown[]) =>
      httpRoute('test', name, {
        parentRefs: [parent('ext', 'test')],
        rules: [{ matches: [{ path: { type: 'Exact', value: `/${name}` } }], backendRefs }],
      });
    const p = new EgressPolicy(
      objects({
        egressNetworks: [deny],
        httpRoutes: [
          route('self', [{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'ext' }]),
          route('svc', [{ name: 'mirror', port: 8080 }]),
          route('other', [{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'elsewhere' }]),
        ],
      }),
      'test',
    );
    expect(p.http('1.2.3.4', 80, 'h', GET('/self'))?.backend).toEqual({ kind: 'forward' });
    expect(p.http('1.2.3.4', 80, 'h', GET('/svc'))?.backend).toEqual({
      kind: 'service',
      namespace: 'test',
      name: 'mirror',
      port: 8080,
    });
    expect(p.http('1.2.3.4', 80, 'h', GET('/other'))?.backend.kind).toBe('invalid');
  });

  it("routes of the client's namespace replace those of the network's namespace for that client only", () => {
    const global = net(GLOBAL_EGRESS_NAMESPACE, 'g', { trafficPolicy: 'Deny' });
    const producer = httpRoute(GLOBAL_EGRESS_NAMESPACE, 'all-get', {
      parentRefs: [parent('g', GLOBAL_EGRESS_NAMESPACE)],
      rules: [{ matches: [{ method: 'GET' }] }],
    });
    const consumer = httpRoute('shop', 'shop-post', {
      parentRefs: [parent('g', GLOBAL_EGRESS_NAMESPACE)],
      rules: [{ matches: [{ method: 'POST' }] }],
    });
    const o = objects({ egressNetworks: [global], httpRoutes: [producer, consumer] });
    const shop = new EgressPolicy(o, 'shop');
    expect(shop.http('1.1.1.1', 80, 'h', GET('/'))?.action).toBe('deny');
    expect(shop.http('1.1.1.1', 80, 'h', { ...GET('/'), method: 'POST' })?.route.name).toBe('shop-post');
    const other = new EgressPolicy(o, 'other');
    expect(other.http('1.1.1.1', 80, 'h', GET('/'))?.route.name).toBe('all-get');
  });

  it('a connection: a TLSRoute by the name asked for, else a TCPRoute (on its port), else the default', () => {
    const tls: TLSRoute = tlsRouteSchema.parse({
      apiVersion: 'gateway.networking.k8s.io/v1alpha2',
      kind: 'TLSRoute',
      metadata: { namespace: 'test', name: 'tls-api' },
      spec: { parentRefs: [parent('ext', 'test', 443)], hostnames: ['api.example.com'], rules: [{}] },
    });
    const tcp: TCPRoute = tcpRouteSchema.parse({
      apiVersion: 'gateway.networking.k8s.io/v1alpha2',
      kind: 'TCPRoute',
      metadata: { namespace: 'test', name: 'pg' },
      spec: { parentRefs: [parent('ext', 'test', 5432)], rules: [{}] },
    });
    const p = new EgressPolicy(objects({ egressNetworks: [deny], tlsRoutes: [tls], tcpRoutes: [tcp] }), 'test');
    expect(p.connection('1.2.3.4', 443, 'api.example.com')).toMatchObject({
      action: 'allow',
      route: { kind: 'TLSRoute', name: 'tls-api' },
    });
    expect(p.connection('1.2.3.4', 443, 'evil.example.com')?.action).toBe('deny');
    expect(p.connection('1.2.3.4', 5432)).toMatchObject({ action: 'allow', route: { kind: 'TCPRoute', name: 'pg' } });
    expect(p.connection('1.2.3.4', 5433)?.action).toBe('deny');
  });

  it('audit mode: what would be denied is allowed to the original destination and marked wouldDeny', () => {
    const audited = net('test', 'ext', { trafficPolicy: 'Deny' }, { annotations: { 'weir.io/audit': 'true' } });
    const p = new EgressPolicy(objects({ egressNetworks: [audited] }), 'test');
    expect(p.http('1.2.3.4', 80, 'h', GET('/'))).toMatchObject({
      action: 'allow',
      wouldDeny: true,
      backend: { kind: 'forward' },
      route: { name: 'http-egress-deny' },
    });
    expect(p.connection('1.2.3.4', 22)).toMatchObject({
      action: 'allow',
      wouldDeny: true,
      route: { name: 'tcp-egress-deny' },
    });
  });
});
