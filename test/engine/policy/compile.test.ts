import { describe, expect, it } from 'vitest';
import { policyOf } from '../../support/policy-objects.js';
import { RateLimiter } from '../../../proxy/authz/rate-limit.js';

const SUFFIX = 'serviceaccount.identity.weir.cluster.local';
const ns = (annotations: string) => `
apiVersion: v1
kind: Namespace
metadata: { name: test, annotations: { ${annotations} } }
`;
const server = (port: string | number, name = 'web-http') => `
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: ${name}, namespace: test }
spec: { podSelector: { matchLabels: { app: web } }, port: ${port}, proxyProtocol: gRPC, accessPolicy: deny }
`;

describe('compileInboundPolicy', () => {
  it('takes the default policy from the workload annotation, else the namespace, else the mesh (weir.io alias too)', () => {
    expect(policyOf('', {}, { defaultPolicy: 'deny' }).server).toEqual({ group: '', kind: 'default', name: 'deny' });
    expect(policyOf(ns('weir.io/default-inbound-policy: all-authenticated')).server.name).toBe('all-authenticated');
    expect(
      policyOf(ns('config.linkerd.io/default-inbound-policy: all-authenticated'), {
        annotations: { 'config.linkerd.io/default-inbound-policy': 'audit' },
      }).server.name,
    ).toBe('audit');
    expect(policyOf(ns('config.linkerd.io/default-inbound-policy: deny')).authorizations).toEqual([]);
  });

  it('selects the Server by port number or by the named container port, with its protocol', () => {
    expect(policyOf(server('http'))).toMatchObject({ protocol: 'grpc', server: { kind: 'server', name: 'web-http' } });
    expect(policyOf(server(8080)).server.name).toBe('web-http');
    expect(policyOf(server(9090)).server.kind).toBe('default');
    expect(policyOf(server('admin')).server.kind).toBe('default');
  });

  it('a Namespace-targeted policy applies to its Servers; identityRefs of a Namespace become a suffix', () => {
    const p = policyOf(`${server(8080)}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: { name: from-ops, namespace: test }
spec: { identityRefs: [{ kind: Namespace, name: ops }, { kind: ServiceAccount, name: ci, namespace: build }] }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: ns-wide, namespace: test }
spec:
  targetRef: { kind: Namespace, name: test }
  requiredAuthenticationRefs: [{ kind: MeshTLSAuthentication, name: from-ops }]
`);
    expect(p.authorizations).toEqual([
      {
        networks: [
          { net: '0.0.0.0/0', except: [] },
          { net: '::/0', except: [] },
        ],
        authentication: { kind: 'meshTLS', identities: [`ci.build.${SUFFIX}`], suffixes: [`ops.${SUFFIX}`] },
        labels: { group: 'policy.linkerd.io', kind: 'authorizationpolicy', name: 'ns-wide' },
      },
    ]);
  });

  it('a policy whose authentication ref does not exist admits nobody', () => {
    const p = policyOf(`${server(8080)}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: dangling, namespace: test }
spec:
  targetRef: { kind: Server, name: web-http }
  requiredAuthenticationRefs: [{ kind: NetworkAuthentication, name: missing }]
`);
    expect(p.authorizations).toEqual([]);
  });

  it('a rate limit carries total, per-identity and overrides as identities', () => {
    const p = policyOf(`${server(8080)}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: HTTPLocalRateLimitPolicy
metadata: { name: rl, namespace: test }
spec:
  targetRef: { kind: Server, name: web-http }
  total: { requestsPerSecond: 100 }
  identity: { requestsPerSecond: 2 }
  overrides: [{ requestsPerSecond: 5, clientRefs: [{ kind: ServiceAccount, name: batch }] }]
`);
    expect(p.rateLimit).toEqual({
      labels: { group: 'policy.linkerd.io', kind: 'httplocalratelimitpolicy', name: 'rl' },
      total: 100,
      identity: 2,
      overrides: [{ requestsPerSecond: 5, identities: [`batch.test.${SUFFIX}`] }],
    });
    let now = 0;
    const limiter = new RateLimiter(p.rateLimit!, () => now);
    const burst = (id: string | undefined) => Array.from({ length: 6 }, () => limiter.admit(id)).filter(Boolean).length;
    expect(burst(`a.test.${SUFFIX}`)).toBe(2);
    expect(burst(`batch.test.${SUFFIX}`)).toBe(5);
    expect(burst(undefined)).toBe(2);
    now += 500; // half a second refills one of the two per-identity tokens
    expect(burst(`a.test.${SUFFIX}`)).toBe(1);
  });
});
