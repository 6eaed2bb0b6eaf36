import { describe, expect, it } from 'vitest';
import type { HTTPRoute } from '../../../engine/resources/index.js';
import { decode, withField, yamlDoc } from './helpers.js';

/** An HTTPRoute using every standard field plus the experimental ones Weir accepts. */
const completeRoute = yamlDoc(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: podinfo
  namespace: test
spec:
  parentRefs:
    - group: ""
      kind: Service
      name: podinfo
      port: 9898
    - name: public
      namespace: gateways
      sectionName: http
    - name: public
      namespace: gateways
      sectionName: https
  hostnames: [podinfo.test, "*.example.com"]
  rules:
    - name: api
      matches:
        - path: { type: PathPrefix, value: /api }
          headers:
            - { name: x-canary, value: insider }
            - { type: RegularExpression, name: User-Agent, value: ".*Firefox.*" }
          queryParams:
            - { name: debug, value: "1" }
          method: GET
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: x-route, value: api }]
            add: [{ name: x-added, value: "1" }]
            remove: [x-drop]
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set: [{ name: cache-control, value: no-store }]
        - type: RequestMirror
          requestMirror:
            backendRef: { name: podinfo-shadow, port: 9898 }
            percent: 10
        - type: RequestMirror
          requestMirror:
            backendRef: { name: podinfo-audit, port: 9898 }
            fraction: { numerator: 1, denominator: 1000 }
        - type: URLRewrite
          urlRewrite:
            hostname: podinfo.internal
            path: { type: ReplacePrefixMatch, replacePrefixMatch: / }
        - type: CORS
          cors:
            allowOrigins: [https://example.com]
            allowMethods: [GET, POST]
            allowHeaders: [x-canary]
            exposeHeaders: [x-request-id]
            allowCredentials: true
        - type: ExtensionRef
          extensionRef: { group: example.io, kind: RateLimit, name: api }
      backendRefs:
        - name: podinfo-primary
          port: 9898
          weight: 90
        - name: podinfo-canary
          port: 9898
          weight: 10
          filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                set: [{ name: x-backend, value: canary }]
      timeouts: { request: 10s, backendRequest: 2s }
      retry: { codes: [500, 502, 503], attempts: 2, backoff: 100ms }
      sessionPersistence:
        sessionName: podinfo
        absoluteTimeout: 1h
        idleTimeout: 10m
        type: Cookie
        cookieConfig: { lifetimeType: Permanent }
    - name: old
      matches:
        - path: { type: Exact, value: /old }
      filters:
        - type: RequestRedirect
          requestRedirect:
            scheme: https
            hostname: podinfo.example.com
            port: 8443
            path: { type: ReplaceFullPath, replaceFullPath: /new }
            statusCode: 301
    - matches:
        - path: { type: RegularExpression, value: "/v[0-9]+/.*" }
      backendRefs:
        - { name: podinfo-primary, port: 9898 }
`);

const minimalRoute = yamlDoc(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: podinfo }
spec:
  parentRefs: [{ name: podinfo, group: "", kind: Service, port: 9898 }]
  rules:
    - backendRefs: [{ name: podinfo, port: 9898 }]
`);

describe('HTTPRoute: accepted', () => {
  it('a route using every field', () => {
    const r = decode(completeRoute, 'route.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('v1beta1 is read too', () => {
    expect(decode(withField(minimalRoute, 'apiVersion', 'gateway.networking.k8s.io/v1beta1')).errors).toEqual([]);
  });

  it.each([
    ['/', 'PathPrefix'],
    ['/foo/bar', 'Exact'],
    ["/a-b_c.d~e!$&'()*+,;=:@", 'Exact'],
    ['/%E2%9C%93', 'PathPrefix'],
    ['/foo/', 'PathPrefix'],
    ['^/(a|b)//x$', 'RegularExpression'],
  ])('path %s (%s)', (value, type) => {
    expect(decode(withField(minimalRoute, 'spec.rules[0].matches', [{ path: { type, value } }])).errors).toEqual([]);
  });

  it.each(['0s', '1h2h20m10m', '500ms', '99999s'])('timeout %s', (request) => {
    expect(decode(withField(minimalRoute, 'spec.rules[0].timeouts', { request })).errors).toEqual([]);
  });

  it('backendRequest may exceed request when request is 0s', () => {
    const doc = withField(minimalRoute, 'spec.rules[0].timeouts', { request: '0s', backendRequest: '10s' });
    expect(decode(doc).errors).toEqual([]);
  });

  it('the same parent twice with distinct ports (experimental)', () => {
    const doc = withField(minimalRoute, 'spec.parentRefs', [
      { name: 'podinfo', group: '', kind: 'Service', port: 9898 },
      { name: 'podinfo', group: '', kind: 'Service', port: 9999 },
    ]);
    expect(decode(doc).errors).toEqual([]);
  });
});

describe('HTTPRoute: defaults', () => {
  const route = decode(
    yamlDoc(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ headers: [{ name: x, value: y }] }, { path: { type: Exact } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { scheme: https }
        - type: RequestMirror
          requestMirror: { backendRef: { name: m, port: 80 }, fraction: { numerator: 5 } }
        - type: CORS
          cors: { allowOrigins: ["*"] }
    - backendRefs: [{ name: b, port: 80 }]
`),
  ).object as HTTPRoute;

  it('parentRefs group and kind', () => {
    expect(route.spec.parentRefs?.[0]).toEqual({ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' });
  });
  it('match path, header type', () => {
    expect(route.spec.rules[0]?.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x', value: 'y' }] },
      { path: { type: 'Exact', value: '/' } },
    ]);
  });
  it('rule matches', () => {
    expect(route.spec.rules[1]?.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
  });
  it('backendRef group, kind, weight', () => {
    expect(route.spec.rules[1]?.backendRefs).toEqual([{ name: 'b', port: 80, group: '', kind: 'Service', weight: 1 }]);
  });
  it('redirect statusCode, mirror denominator, CORS maxAge', () => {
    const [redirect, mirror, cors] = route.spec.rules[0]?.filters ?? [];
    expect(redirect?.requestRedirect?.statusCode).toBe(302);
    expect(mirror?.requestMirror?.fraction).toEqual({ numerator: 5, denominator: 100 });
    expect(cors?.cors?.maxAge).toBe(5);
  });
  it('rules', () => {
    const r = decode(withField(minimalRoute, 'spec.rules', undefined)).object as HTTPRoute;
    expect(r.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  });
});

const rule0 = 'spec.rules[0]';
const f = (i: number) => `${rule0}.filters[${i}]`;

describe('HTTPRoute: each rule broken once', () => {
  it.each([
    // field limits
    [
      'apiVersion',
      'apiVersion',
      'gateway.networking.k8s.io/v1alpha2',
      'apiVersion: expected one of "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1", got "gateway.networking.k8s.io/v1alpha2"',
    ],
    [
      'parentRefs max 32',
      'spec.parentRefs',
      Array.from({ length: 33 }, (_, i) => ({ name: `g${i}` })),
      'spec.parentRefs: expected at most 32 items',
    ],
    ['parentRef name', 'spec.parentRefs[0].name', undefined, 'spec.parentRefs[0].name: required: expected a string'],
    [
      'parentRef kind pattern',
      'spec.parentRefs[0].kind',
      'my kind',
      'spec.parentRefs[0].kind: expected a kind name like Service, got "my kind"',
    ],
    [
      'parentRef group pattern',
      'spec.parentRefs[0].group',
      'Core',
      'spec.parentRefs[0].group: expected an API group (a DNS subdomain, or "" for core), got "Core"',
    ],
    [
      'parentRef namespace label',
      'spec.parentRefs[1].namespace',
      'Gateways',
      'spec.parentRefs[1].namespace: expected a lowercase DNS label, got "Gateways"',
    ],
    [
      'parentRef port range',
      'spec.parentRefs[0].port',
      65536,
      'spec.parentRefs[0].port: expected a value <= 65535, got 65536',
    ],
    [
      'parentRefs: same parent without sectionName',
      'spec.parentRefs[2].sectionName',
      undefined,
      'spec.parentRefs[2]: sectionName or port must be set when parentRefs names Gateway "public" more than once',
    ],
    [
      'parentRefs: same parent and sectionName',
      'spec.parentRefs[2].sectionName',
      'http',
      'spec.parentRefs[2]: duplicate of parentRefs[1] (same parent, sectionName and port)',
    ],
    [
      'hostnames max 16',
      'spec.hostnames',
      Array.from({ length: 17 }, (_, i) => `h${i}.test`),
      'spec.hostnames: expected at most 16 items',
    ],
    [
      'hostname uppercase',
      'spec.hostnames[0]',
      'Podinfo.test',
      'spec.hostnames[0]: expected a lowercase DNS name, optionally starting with "*.", got "Podinfo.test"',
    ],
    [
      'hostname wildcard inside',
      'spec.hostnames[1]',
      'a.*.example.com',
      'spec.hostnames[1]: expected a lowercase DNS name, optionally starting with "*.", got "a.*.example.com"',
    ],
    ['hostname IP', 'spec.hostnames[0]', '10.0.0.1', 'spec.hostnames[0]: expected a DNS name, not an IP address'],
    ['rules min 1', 'spec.rules', [], 'spec.rules: expected at least 1 item'],
    ['rules max 16', 'spec.rules', Array.from({ length: 17 }, () => ({})), 'spec.rules: expected at most 16 items'],
    [
      'rule name pattern',
      `${rule0}.name`,
      'API',
      `${rule0}.name: expected a section name (a DNS subdomain), got "API"`,
    ],
    ['rule names unique', 'spec.rules[1].name', 'api', 'spec.rules[1].name: duplicate rule name "api"'],
    [
      'matches max 64',
      `${rule0}.matches`,
      Array.from({ length: 65 }, () => ({})),
      `${rule0}.matches: expected at most 64 items`,
    ],
    [
      'total matches <= 128',
      'spec.rules',
      Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 43 }, () => ({})) })),
      'spec.rules: expected at most 128 matches over all rules, got 129',
    ],
    // path match
    [
      'path type enum',
      `${rule0}.matches[0].path.type`,
      'Prefix',
      `${rule0}.matches[0].path.type: expected one of "Exact", "PathPrefix", "RegularExpression", got "Prefix"`,
    ],
    [
      'path starts with /',
      `${rule0}.matches[0].path.value`,
      'api',
      `${rule0}.matches[0].path.value: must start with "/", got "api"`,
    ],
    ['path //', `${rule0}.matches[0].path.value`, '/api//v1', `${rule0}.matches[0].path.value: must not contain "//"`],
    [
      'path /./',
      `${rule0}.matches[0].path.value`,
      '/api/./v1',
      `${rule0}.matches[0].path.value: must not contain "/./"`,
    ],
    [
      'path /../',
      `${rule0}.matches[0].path.value`,
      '/api/../v1',
      `${rule0}.matches[0].path.value: must not contain "/../"`,
    ],
    [
      'path %2f',
      `${rule0}.matches[0].path.value`,
      '/api%2fv1',
      `${rule0}.matches[0].path.value: must not contain "%2f"`,
    ],
    [
      'path %2F',
      `${rule0}.matches[0].path.value`,
      '/api%2Fv1',
      `${rule0}.matches[0].path.value: must not contain "%2F"`,
    ],
    ['path #', `${rule0}.matches[0].path.value`, '/api#top', `${rule0}.matches[0].path.value: must not contain "#"`],
    [
      'path ends /..',
      `${rule0}.matches[0].path.value`,
      '/api/..',
      `${rule0}.matches[0].path.value: must not end with "/.." or "/."`,
    ],
    [
      'path ends /.',
      `${rule0}.matches[0].path.value`,
      '/api/.',
      `${rule0}.matches[0].path.value: must not end with "/.." or "/."`,
    ],
    [
      'path characters',
      `${rule0}.matches[0].path.value`,
      '/api v1',
      `${rule0}.matches[0].path.value: expected a URL path (letters, digits, "-._~!$&'()*+,;=:@/" or %XX), got "/api v1"`,
    ],
    [
      'path length',
      `${rule0}.matches[0].path.value`,
      `/${'a'.repeat(1024)}`,
      `${rule0}.matches[0].path.value: expected at most 1024 characters`,
    ],
    // header / query / method match
    [
      'header name syntax',
      `${rule0}.matches[0].headers[0].name`,
      ':authority',
      `${rule0}.matches[0].headers[0].name: expected an HTTP header name, got ":authority"`,
    ],
    [
      'header value empty',
      `${rule0}.matches[0].headers[0].value`,
      '',
      `${rule0}.matches[0].headers[0].value: must not be empty`,
    ],
    [
      'header type enum',
      `${rule0}.matches[0].headers[0].type`,
      'Prefix',
      `${rule0}.matches[0].headers[0].type: expected one of "Exact", "RegularExpression", got "Prefix"`,
    ],
    [
      'header names unique',
      `${rule0}.matches[0].headers[1].name`,
      'x-canary',
      `${rule0}.matches[0].headers[1].name: duplicate header "x-canary"`,
    ],
    [
      'headers max 16',
      `${rule0}.matches[0].headers`,
      Array.from({ length: 17 }, (_, i) => ({ name: `h${i}`, value: 'v' })),
      `${rule0}.matches[0].headers: expected at most 16 items`,
    ],
    [
      'query value length',
      `${rule0}.matches[0].queryParams[0].value`,
      'x'.repeat(1025),
      `${rule0}.matches[0].queryParams[0].value: expected at most 1024 characters`,
    ],
    [
      'method enum',
      `${rule0}.matches[0].method`,
      'get',
      `${rule0}.matches[0].method: expected one of "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", got "get"`,
    ],
    // filters
    [
      'filters max 16',
      `${rule0}.filters`,
      Array.from({ length: 17 }, () => ({ type: 'ExtensionRef', extensionRef: { group: '', kind: 'X', name: 'x' } })),
      `${rule0}.filters: expected at most 16 items`,
    ],
    [
      'filter type enum',
      `${f(0)}.type`,
      'HeaderModifier',
      `${f(0)}.type: expected one of "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS", "ExternalAuth", got "HeaderModifier"`,
    ],
    [
      'filter union: field missing',
      `${f(0)}.requestHeaderModifier`,
      undefined,
      `${f(0)}.requestHeaderModifier: required when type is RequestHeaderModifier`,
    ],
    [
      'filter union: foreign field',
      `${f(1)}.requestHeaderModifier`,
      { remove: ['x'] },
      `${f(1)}.requestHeaderModifier: must not be set when type is ResponseHeaderModifier`,
    ],
    [
      'at most one RequestHeaderModifier',
      `${f(6)}`,
      { type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['y'] } },
      `${f(6)}.type: RequestHeaderModifier may appear at most once in a filter list`,
    ],
    [
      'at most one ResponseHeaderModifier',
      `${f(6)}`,
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['y'] } },
      `${f(6)}.type: ResponseHeaderModifier may appear at most once in a filter list`,
    ],
    [
      'at most one URLRewrite',
      `${f(6)}`,
      { type: 'URLRewrite', urlRewrite: { hostname: 'x.test' } },
      `${f(6)}.type: URLRewrite may appear at most once in a filter list`,
    ],
    [
      'at most one CORS',
      `${f(6)}`,
      { type: 'CORS', cors: {} },
      `${f(6)}.type: CORS may appear at most once in a filter list`,
    ],
    [
      'RequestRedirect with URLRewrite',
      `spec.rules[1].filters[1]`,
      { type: 'URLRewrite', urlRewrite: { hostname: 'x.test' } },
      'spec.rules[1].filters[1].type: RequestRedirect and URLRewrite may not be used in the same filter list',
    ],
    [
      'RequestRedirect with backendRefs',
      'spec.rules[1].backendRefs',
      [{ name: 'b', port: 80 }],
      'spec.rules[1].filters[0]: a RequestRedirect filter must not be combined with backendRefs',
    ],
    [
      'ReplacePrefixMatch with two matches',
      `${rule0}.matches[1]`,
      { path: { value: '/b' } },
      `${rule0}.matches: ReplacePrefixMatch needs exactly one match, and it must be a PathPrefix path match`,
    ],
    [
      'ReplacePrefixMatch with an Exact match',
      `${rule0}.matches[0].path.type`,
      'Exact',
      `${rule0}.matches: ReplacePrefixMatch needs exactly one match, and it must be a PathPrefix path match`,
    ],
    [
      'ReplacePrefixMatch in a redirect',
      'spec.rules[1].filters[0].requestRedirect.path',
      { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' },
      'spec.rules[1].matches: ReplacePrefixMatch needs exactly one match, and it must be a PathPrefix path match',
    ],
    [
      'ReplacePrefixMatch in a backendRef filter',
      'spec.rules[2].backendRefs[0].filters',
      [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
      'spec.rules[2].matches: ReplacePrefixMatch needs exactly one match, and it must be a PathPrefix path match',
    ],
    [
      'path modifier: replacePrefixMatch missing',
      `${f(4)}.urlRewrite.path.replacePrefixMatch`,
      undefined,
      `${f(4)}.urlRewrite.path.replacePrefixMatch: required when type is ReplacePrefixMatch`,
    ],
    [
      'path modifier: replaceFullPath foreign',
      `${f(4)}.urlRewrite.path.replaceFullPath`,
      '/x',
      `${f(4)}.urlRewrite.path.replaceFullPath: must not be set when type is ReplacePrefixMatch`,
    ],
    [
      'path modifier: replaceFullPath missing',
      'spec.rules[1].filters[0].requestRedirect.path.replaceFullPath',
      undefined,
      'spec.rules[1].filters[0].requestRedirect.path.replaceFullPath: required when type is ReplaceFullPath',
    ],
    [
      'path modifier type enum',
      `${f(4)}.urlRewrite.path.type`,
      'ReplacePrefix',
      `${f(4)}.urlRewrite.path.type: expected one of "ReplaceFullPath", "ReplacePrefixMatch", got "ReplacePrefix"`,
    ],
    [
      'rewrite hostname precise',
      `${f(4)}.urlRewrite.hostname`,
      '*.internal',
      `${f(4)}.urlRewrite.hostname: expected a lowercase DNS name, got "*.internal"`,
    ],
    [
      'redirect scheme enum',
      'spec.rules[1].filters[0].requestRedirect.scheme',
      'ftp',
      'spec.rules[1].filters[0].requestRedirect.scheme: expected one of "http", "https", got "ftp"',
    ],
    [
      'redirect statusCode',
      'spec.rules[1].filters[0].requestRedirect.statusCode',
      304,
      'spec.rules[1].filters[0].requestRedirect.statusCode: expected one of 301, 302, 303, 307, 308, got 304',
    ],
    [
      'redirect port',
      'spec.rules[1].filters[0].requestRedirect.port',
      0,
      'spec.rules[1].filters[0].requestRedirect.port: expected a value >= 1, got 0',
    ],
    [
      'header modifier: set and add same name',
      `${f(0)}.requestHeaderModifier.add[0].name`,
      'X-Route',
      `${f(0)}.requestHeaderModifier.add[0].name: header "X-Route" already has an action (set[0]); one action per name`,
    ],
    [
      'header modifier: remove a set name',
      `${f(0)}.requestHeaderModifier.remove[0]`,
      'x-ROUTE',
      `${f(0)}.requestHeaderModifier.remove[0]: header "x-ROUTE" already has an action (set[0]); one action per name`,
    ],
    [
      'header modifier: set twice',
      `${f(1)}.responseHeaderModifier.set[1]`,
      { name: 'Cache-Control', value: 'x' },
      `${f(1)}.responseHeaderModifier.set[1].name: header "Cache-Control" already has an action (set[0]); one action per name`,
    ],
    [
      'header modifier: value empty',
      `${f(0)}.requestHeaderModifier.set[0].value`,
      '',
      `${f(0)}.requestHeaderModifier.set[0].value: must not be empty`,
    ],
    [
      'header modifier: max 16',
      `${f(0)}.requestHeaderModifier.remove`,
      Array.from({ length: 17 }, (_, i) => `h${i}`),
      `${f(0)}.requestHeaderModifier.remove: expected at most 16 items`,
    ],
    [
      'mirror percent and fraction',
      `${f(2)}.requestMirror.fraction`,
      { numerator: 1 },
      `${f(2)}.requestMirror.fraction: set percent or fraction, not both`,
    ],
    [
      'mirror numerator <= denominator',
      `${f(3)}.requestMirror.fraction.numerator`,
      1001,
      `${f(3)}.requestMirror.fraction.numerator: must be <= denominator (1000), got 1001`,
    ],
    [
      'mirror percent range',
      `${f(2)}.requestMirror.percent`,
      101,
      `${f(2)}.requestMirror.percent: expected a value <= 100, got 101`,
    ],
    [
      'mirror denominator >= 1',
      `${f(3)}.requestMirror.fraction.denominator`,
      0,
      `${f(3)}.requestMirror.fraction.denominator: expected a value >= 1, got 0`,
    ],
    [
      'mirror Service needs port',
      `${f(2)}.requestMirror.backendRef.port`,
      undefined,
      `${f(2)}.requestMirror.backendRef.port: required when kind is Service`,
    ],
    [
      'CORS allowMethods enum',
      `${f(5)}.cors.allowMethods[0]`,
      'FETCH',
      `${f(5)}.cors.allowMethods[0]: expected one of "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*", got "FETCH"`,
    ],
    ['CORS maxAge >= 1', `${f(5)}.cors.maxAge`, 0, `${f(5)}.cors.maxAge: expected a value >= 1, got 0`],
    [
      'extensionRef kind required',
      `${f(6)}.extensionRef.kind`,
      undefined,
      `${f(6)}.extensionRef.kind: required: expected a string`,
    ],
    // backendRefs
    [
      'backendRefs max 16',
      `${rule0}.backendRefs`,
      Array.from({ length: 17 }, (_, i) => ({ name: `b${i}`, port: 80 })),
      `${rule0}.backendRefs: expected at most 16 items`,
    ],
    [
      'backendRef Service needs port',
      `${rule0}.backendRefs[0].port`,
      undefined,
      `${rule0}.backendRefs[0].port: required when kind is Service`,
    ],
    [
      'backendRef weight max',
      `${rule0}.backendRefs[0].weight`,
      1_000_001,
      `${rule0}.backendRefs[0].weight: expected a value <= 1000000, got 1000001`,
    ],
    [
      'backendRef weight min',
      `${rule0}.backendRefs[0].weight`,
      -1,
      `${rule0}.backendRefs[0].weight: expected a value >= 0, got -1`,
    ],
    [
      'backendRef weight int',
      `${rule0}.backendRefs[0].weight`,
      0.5,
      `${rule0}.backendRefs[0].weight: expected a whole number, got 0.5`,
    ],
    ['backendRef name', `${rule0}.backendRefs[0].name`, '', `${rule0}.backendRefs[0].name: must not be empty`],
    [
      'backendRef filter rules apply',
      `${rule0}.backendRefs[1].filters[0].requestHeaderModifier`,
      undefined,
      `${rule0}.backendRefs[1].filters[0].requestHeaderModifier: required when type is RequestHeaderModifier`,
    ],
    // timeouts, retry, session persistence
    [
      'timeout duration',
      `${rule0}.timeouts.request`,
      '1.5s',
      `${rule0}.timeouts.request: expected a Gateway API duration like 10s, 500ms or 1m30s, got "1.5s"`,
    ],
    [
      'timeout without unit',
      `${rule0}.timeouts.request`,
      '0',
      `${rule0}.timeouts.request: expected a Gateway API duration like 10s, 500ms or 1m30s, got "0"`,
    ],
    [
      'timeout five components',
      `${rule0}.timeouts.request`,
      '1h1m1s1ms1s',
      `${rule0}.timeouts.request: expected a Gateway API duration like 10s, 500ms or 1m30s, got "1h1m1s1ms1s"`,
    ],
    [
      'backendRequest <= request',
      `${rule0}.timeouts.backendRequest`,
      '11s',
      `${rule0}.timeouts.backendRequest: must not be longer than request (10s), got 11s`,
    ],
    ['retry codes range', `${rule0}.retry.codes[0]`, 200, `${rule0}.retry.codes[0]: expected a value >= 400, got 200`],
    [
      'retry backoff duration',
      `${rule0}.retry.backoff`,
      'fast',
      `${rule0}.retry.backoff: expected a Gateway API duration like 10s, 500ms or 1m30s, got "fast"`,
    ],
    [
      'sessionPersistence type',
      `${rule0}.sessionPersistence.type`,
      'Query',
      `${rule0}.sessionPersistence.type: expected one of "Cookie", "Header", got "Query"`,
    ],
    [
      'sessionPersistence Permanent needs absoluteTimeout',
      `${rule0}.sessionPersistence.absoluteTimeout`,
      undefined,
      `${rule0}.sessionPersistence.absoluteTimeout: required when cookieConfig.lifetimeType is Permanent`,
    ],
  ])('%s', (_rule, path, value, message) => {
    expect(decode(withField(completeRoute, path, value), 'route.yaml').errors).toEqual([`route.yaml[1] ${message}`]);
  });
});
