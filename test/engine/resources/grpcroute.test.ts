import { describe, expect, it } from 'vitest';
import type { GRPCRoute } from '../../../engine/resources/index.js';
import { decode, withField, yamlDoc } from './helpers.js';

const completeRoute = yamlDoc(`
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: grpc-echo
  namespace: test
spec:
  parentRefs:
    - { group: "", kind: Service, name: grpc-echo, port: 8080 }
  hostnames: [grpc.example.com]
  rules:
    - name: echo
      matches:
        - method:
            service: gateway_api_conformance.echo_basic.grpcecho.GrpcEcho
            method: Echo
          headers:
            - { name: version, value: two }
            - { type: RegularExpression, name: x-tenant, value: "^(a|b)$" }
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: x-route, value: echo }]
            remove: [x-drop]
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            add: [{ name: x-served-by, value: weir }]
        - type: RequestMirror
          requestMirror:
            backendRef: { name: grpc-shadow, port: 8080 }
            percent: 50
        - type: ExtensionRef
          extensionRef: { group: example.io, kind: RateLimit, name: grpc }
      backendRefs:
        - { name: grpc-echo-v1, port: 8080, weight: 70 }
        - name: grpc-echo-v2
          port: 8080
          weight: 30
          filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                set: [{ name: backend, value: v2 }]
    - matches:
        - method: { type: RegularExpression, service: ".*\\\\.GrpcEcho", method: "Echo.*" }
        - method: { method: EchoTwo }
        - method: { service: .pkg.Svc }
      backendRefs:
        - { name: grpc-echo-v1, port: 8080 }
`);

describe('GRPCRoute: accepted', () => {
  it('a route using every field', () => {
    const r = decode(completeRoute, 'grpc.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('v1alpha2 is read too', () => {
    expect(decode(withField(completeRoute, 'apiVersion', 'gateway.networking.k8s.io/v1alpha2')).errors).toEqual([]);
  });

  it('defaults: method type Exact, header type Exact, weight 1, Service backend kind', () => {
    const route = decode(completeRoute).object as GRPCRoute;
    const [rule0, rule1] = route.spec.rules ?? [];
    expect(rule0?.matches?.[0]?.method?.type).toBe('Exact');
    expect(rule0?.matches?.[0]?.headers?.[0]?.type).toBe('Exact');
    expect(rule1?.backendRefs).toEqual([{ name: 'grpc-echo-v1', port: 8080, group: '', kind: 'Service', weight: 1 }]);
  });

  it('rules and matches may be omitted (matches every request)', () => {
    expect(decode(withField(completeRoute, 'spec.rules', undefined)).errors).toEqual([]);
    expect(decode(withField(completeRoute, 'spec.rules[1].matches', undefined)).errors).toEqual([]);
  });
});

const r0 = 'spec.rules[0]';

describe('GRPCRoute: each rule broken once', () => {
  it.each([
    [
      'kind/apiVersion',
      'apiVersion',
      'gateway.networking.k8s.io/v1beta1',
      'apiVersion: expected one of "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1alpha2", got "gateway.networking.k8s.io/v1beta1"',
    ],
    ['rules max 16', 'spec.rules', Array.from({ length: 17 }, () => ({})), 'spec.rules: expected at most 16 items'],
    [
      'matches max 64',
      `${r0}.matches`,
      Array.from({ length: 65 }, () => ({})),
      `${r0}.matches: expected at most 64 items`,
    ],
    [
      'total matches <= 128',
      'spec.rules',
      Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 43 }, () => ({})) })),
      'spec.rules: expected at most 128 matches over all rules, got 129',
    ],
    ['rule names unique', 'spec.rules[1].name', 'echo', 'spec.rules[1].name: duplicate rule name "echo"'],
    [
      'method: service or method',
      `${r0}.matches[0].method`,
      { type: 'Exact' },
      `${r0}.matches[0].method: one or both of service and method must be set`,
    ],
    [
      'method type enum',
      `${r0}.matches[0].method.type`,
      'Prefix',
      `${r0}.matches[0].method.type: expected one of "Exact", "RegularExpression", got "Prefix"`,
    ],
    [
      'Exact service syntax',
      `${r0}.matches[0].method.service`,
      'grpc/echo',
      `${r0}.matches[0].method.service: expected a gRPC service name like pkg.Service, got "grpc/echo"`,
    ],
    [
      'Exact method syntax',
      `${r0}.matches[0].method.method`,
      'Echo.Two',
      `${r0}.matches[0].method.method: expected a gRPC method name like SayHello, got "Echo.Two"`,
    ],
    [
      'header name syntax',
      `${r0}.matches[0].headers[0].name`,
      'bad header',
      `${r0}.matches[0].headers[0].name: expected an HTTP header name, got "bad header"`,
    ],
    [
      'header names unique',
      `${r0}.matches[0].headers[1].name`,
      'version',
      `${r0}.matches[0].headers[1].name: duplicate header "version"`,
    ],
    [
      'headers max 16',
      `${r0}.matches[0].headers`,
      Array.from({ length: 17 }, (_, i) => ({ name: `h${i}`, value: 'v' })),
      `${r0}.matches[0].headers: expected at most 16 items`,
    ],
    [
      'filter type enum (no redirect)',
      `${r0}.filters[3]`,
      { type: 'RequestRedirect', requestRedirect: {} },
      `${r0}.filters[3].type: expected one of "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef", got "RequestRedirect"`,
    ],
    [
      'filter union: field missing',
      `${r0}.filters[2].requestMirror`,
      undefined,
      `${r0}.filters[2].requestMirror: required when type is RequestMirror`,
    ],
    [
      'filter union: foreign field',
      `${r0}.filters[0].responseHeaderModifier`,
      { remove: ['x'] },
      `${r0}.filters[0].responseHeaderModifier: must not be set when type is RequestHeaderModifier`,
    ],
    [
      'at most one RequestHeaderModifier',
      `${r0}.filters[3]`,
      { type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['y'] } },
      `${r0}.filters[3].type: RequestHeaderModifier may appear at most once in a filter list`,
    ],
    [
      'at most one ResponseHeaderModifier',
      `${r0}.filters[3]`,
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['y'] } },
      `${r0}.filters[3].type: ResponseHeaderModifier may appear at most once in a filter list`,
    ],
    [
      'header modifier one action per name',
      `${r0}.filters[0].requestHeaderModifier.remove[0]`,
      'X-Route',
      `${r0}.filters[0].requestHeaderModifier.remove[0]: header "X-Route" already has an action (set[0]); one action per name`,
    ],
    [
      'mirror percent and fraction',
      `${r0}.filters[2].requestMirror.fraction`,
      { numerator: 1 },
      `${r0}.filters[2].requestMirror.fraction: set percent or fraction, not both`,
    ],
    [
      'mirror Service needs port',
      `${r0}.filters[2].requestMirror.backendRef.port`,
      undefined,
      `${r0}.filters[2].requestMirror.backendRef.port: required when kind is Service`,
    ],
    [
      'backendRefs max 16',
      `${r0}.backendRefs`,
      Array.from({ length: 17 }, (_, i) => ({ name: `b${i}`, port: 80 })),
      `${r0}.backendRefs: expected at most 16 items`,
    ],
    [
      'backendRef Service needs port',
      `${r0}.backendRefs[0].port`,
      undefined,
      `${r0}.backendRefs[0].port: required when kind is Service`,
    ],
    [
      'backendRef weight range',
      `${r0}.backendRefs[1].weight`,
      1_000_001,
      `${r0}.backendRefs[1].weight: expected a value <= 1000000, got 1000001`,
    ],
    [
      'backendRef filter rules apply',
      `${r0}.backendRefs[1].filters[0].type`,
      'URLRewrite',
      `${r0}.backendRefs[1].filters[0].type: expected one of "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef", got "URLRewrite"`,
    ],
    [
      'hostname syntax',
      'spec.hostnames[0]',
      'grpc_example.com',
      'spec.hostnames[0]: expected a lowercase DNS name, optionally starting with "*.", got "grpc_example.com"',
    ],
    [
      'parentRefs duplicate',
      'spec.parentRefs[1]',
      { group: '', kind: 'Service', name: 'grpc-echo', port: 8080 },
      'spec.parentRefs[1]: duplicate of parentRefs[0] (same parent, sectionName and port)',
    ],
  ])('%s', (_rule, path, value, message) => {
    expect(decode(withField(completeRoute, path, value), 'grpc.yaml').errors).toEqual([`grpc.yaml[1] ${message}`]);
  });
});
