import { describe, expect, it } from 'vitest';
import { formatResourceError, kinds, parseManifests } from '../../../engine/resources/index.js';

/** the errors of one file, formatted as `weir validate` prints them */
function errorsOf(yaml: string): string[] {
  return parseManifests(yaml, 'policy.yaml').errors.map(formatResourceError);
}

describe("Linkerd's policy kinds (policy.linkerd.io)", () => {
  it('are interpreted kinds served under policy.linkerd.io', () => {
    for (const [kind, version, plural] of [
      ['Server', 'v1beta3', 'servers'],
      ['AuthorizationPolicy', 'v1alpha1', 'authorizationpolicies'],
      ['MeshTLSAuthentication', 'v1alpha1', 'meshtlsauthentications'],
      ['NetworkAuthentication', 'v1alpha1', 'networkauthentications'],
      ['HTTPLocalRateLimitPolicy', 'v1alpha1', 'httplocalratelimitpolicies'],
    ] as const) {
      expect(kinds[kind]).toMatchObject({ group: 'policy.linkerd.io', version, plural, interpreted: true });
    }
  });

  it('accept a valid set, with defaults (proxyProtocol unknown, accessPolicy deny, refs grouped)', () => {
    const r = parseManifests(`
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web, namespace: test }
spec: { podSelector: { matchLabels: { app: web } }, port: 8080 }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: a, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: web }
  requiredAuthenticationRefs: [{ kind: ServiceAccount, name: client }]
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const [server, policy] = r.objects as Array<{ spec: Record<string, unknown> }>;
    expect(server!.spec).toMatchObject({ proxyProtocol: 'unknown', accessPolicy: 'deny' });
    expect(policy!.spec.requiredAuthenticationRefs).toEqual([{ group: '', kind: 'ServiceAccount', name: 'client' }]);
  });

  it('warn that a Server with externalWorkloadSelector selects nothing here', () => {
    const r = parseManifests(
      `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: vm }
spec: { externalWorkloadSelector: { matchLabels: { app: vm } }, port: 80 }`,
      'policy.yaml',
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'policy.yaml[1] spec.externalWorkloadSelector: Weir runs no ExternalWorkloads: this Server selects nothing (use podSelector)',
    ]);
  });

  it.each([
    [
      'a Server without podSelector',
      `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web }
spec: { port: 8080 }`,
      'policy.yaml[1] spec.podSelector: required: a podSelector (or externalWorkloadSelector)',
    ],
    [
      'a Server with an unknown proxyProtocol',
      `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web }
spec: { podSelector: { matchLabels: { app: web } }, port: http, proxyProtocol: HTTP/3 }`,
      'policy.yaml[1] spec.proxyProtocol: expected one of "unknown", "HTTP/1", "HTTP/2", "gRPC", "opaque", "TLS", got "HTTP/3"',
    ],
    [
      'a Server with an unknown accessPolicy',
      `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web }
spec: { podSelector: { matchLabels: { app: web } }, port: 80, accessPolicy: allow }`,
      'policy.yaml[1] spec.accessPolicy: expected one of "all-unauthenticated", "all-authenticated", "cluster-authenticated", "cluster-unauthenticated", "deny", "audit", got "allow"',
    ],
    [
      'an AuthorizationPolicy targeting a Deployment',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: a }
spec: { targetRef: { kind: Deployment, name: web }, requiredAuthenticationRefs: [] }`,
      'policy.yaml[1] spec.targetRef.kind: expected one of "Server", "HTTPRoute", "Namespace", got "Deployment"',
    ],
    [
      'an AuthorizationPolicy whose ref names the wrong group',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: a }
spec:
  targetRef: { kind: Server, name: web }
  requiredAuthenticationRefs: [{ group: example.com, kind: MeshTLSAuthentication, name: m }]`,
      'policy.yaml[1] spec.requiredAuthenticationRefs[0].group: expected "policy.linkerd.io" for kind MeshTLSAuthentication, got "example.com"',
    ],
    [
      'a MeshTLSAuthentication with both lists',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: { name: m }
spec: { identities: ["*"], identityRefs: [{ kind: ServiceAccount, name: x }] }`,
      'policy.yaml[1] spec.identityRefs: identities and identityRefs are exclusive',
    ],
    [
      'a MeshTLSAuthentication with a malformed identity',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: { name: m }
spec: { identities: ["web.test.*"] }`,
      'policy.yaml[1] spec.identities[0]: expected an identity name, "*" or "*.suffix", got "web.test.*"',
    ],
    [
      'a NetworkAuthentication with a bad CIDR',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: n }
spec: { networks: [{ cidr: 10.0.0.0/33 }] }`,
      'policy.yaml[1] spec.networks[0].cidr: expected a CIDR like 10.0.0.0/8 or fd00::/8, got "10.0.0.0/33"',
    ],
    [
      'a NetworkAuthentication whose except is outside its cidr',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: n }
spec: { networks: [{ cidr: 10.0.0.0/8, except: [192.168.0.0/16] }] }`,
      'policy.yaml[1] spec.networks[0].except[0]: "192.168.0.0/16" is not inside "10.0.0.0/8"',
    ],
    [
      'a rate limit of zero',
      `apiVersion: policy.linkerd.io/v1alpha1
kind: HTTPLocalRateLimitPolicy
metadata: { name: r }
spec: { targetRef: { kind: Server, name: web }, total: { requestsPerSecond: 0 } }`,
      'policy.yaml[1] spec.total.requestsPerSecond: expected a value >= 1, got 0',
    ],
  ])('reject %s, naming the file and the field', (_what, yaml, message) => {
    expect(errorsOf(yaml)).toEqual([message]);
  });
});

describe('the default-inbound-policy annotations (config.linkerd.io/, weir.io/)', () => {
  it('accept a Namespace and a Deployment template naming a default policy, with no warning for the Namespace', () => {
    const r = parseManifests(`
apiVersion: v1
kind: Namespace
metadata: { name: test, annotations: { config.linkerd.io/default-inbound-policy: deny } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: test }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web }, annotations: { weir.io/default-inbound-policy: all-authenticated } }
    spec: { containers: [{ name: web, image: web:1 }] }
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(kinds.Namespace).toMatchObject({ namespaced: false, interpreted: true, plural: 'namespaces' });
  });

  it('refuse a value that is not a default policy, naming the file and the annotation', () => {
    expect(
      errorsOf(`
apiVersion: v1
kind: Namespace
metadata: { name: test, annotations: { config.linkerd.io/default-inbound-policy: closed } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: test }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web }, annotations: { weir.io/default-inbound-policy: Deny } }
    spec: { containers: [{ name: web, image: web:1 }] }
`),
    ).toEqual([
      'policy.yaml[1] metadata.annotations.config.linkerd.io/default-inbound-policy: expected one of all-unauthenticated, all-authenticated, cluster-authenticated, cluster-unauthenticated, deny, audit, got "closed"',
      'policy.yaml[2] spec.template.metadata.annotations.weir.io/default-inbound-policy: expected one of all-unauthenticated, all-authenticated, cluster-authenticated, cluster-unauthenticated, deny, audit, got "Deny"',
    ]);
  });
});
