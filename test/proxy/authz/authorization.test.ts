import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { LINKERD_CLUSTER_NETWORKS } from '../../../engine/policy/index.js';
import { startInboundProxy, type InboundProxy } from '../../../proxy/index.js';
import { StaticPolicySource } from '../../../proxy/authz/source.js';
import { meshIdentity, MeshPki } from '../../support/mesh-pki.js';
import { Client, HOST, startEcho, type Echo } from '../support/harness.js';
import { grpcClient, startGrpcApp, unary, type GrpcApp } from '../support/grpc.js';
import { RawClient } from '../support/raw.js';
import { H2TestClient } from '../support/h2.js';
import { total } from '../support/prom.js';
import { getFrom, policyOf, startAuthzMesh, type AuthzMesh } from './support.js';

const WEB = meshIdentity('web', 'test');
const CLIENT = meshIdentity('client', 'test');
const OTHER = meshIdentity('other', 'test');

const namespace = (policy: string) => `
apiVersion: v1
kind: Namespace
metadata: { name: test, annotations: { config.linkerd.io/default-inbound-policy: ${policy} } }
`;

const server = (accessPolicy = 'deny') => `
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web-http, namespace: test }
spec:
  podSelector: { matchLabels: { app: web } }
  port: http
  proxyProtocol: HTTP/1
  accessPolicy: ${accessPolicy}
`;

const onlyClientSA = `${server()}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: { name: client-only, namespace: test }
spec:
  identityRefs: [{ kind: ServiceAccount, name: client }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: web-from-client, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: web-http }
  requiredAuthenticationRefs: [{ group: policy.linkerd.io, kind: MeshTLSAuthentication, name: client-only }]
`;

const networkExcept = `${server()}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: loopback-but-one, namespace: test }
spec:
  networks: [{ cidr: 127.0.0.0/8, except: [127.0.0.3/32] }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: web-from-loopback, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: web-http }
  requiredAuthenticationRefs: [{ kind: NetworkAuthentication, name: loopback-but-one }]
`;

const publicRoute = `${server()}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: public, namespace: test }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: Server, name: web-http }]
  rules: [{ matches: [{ path: { type: Exact, value: /public }, method: GET }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: rest, namespace: test }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: Server, name: web-http }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: / } }] }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: public-for-all, namespace: test }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: HTTPRoute, name: public }
  requiredAuthenticationRefs: []
`;

const rateLimited = `${server('all-unauthenticated')}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: HTTPLocalRateLimitPolicy
metadata: { name: web-rl, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: web-http }
  total: { requestsPerSecond: 3 }
`;

interface Row {
  name: string;
  manifests: string;
  defaults?: { clusterNetworks: string[] };
  /** the status each client gets: meshed (identity client.test), plaintext, wrong (identity other.test) */
  expect: { meshed: number; plaintext: number; wrong: number };
}

const table: Row[] = [
  {
    name: 'all-unauthenticated',
    manifests: namespace('all-unauthenticated'),
    expect: { meshed: 200, plaintext: 200, wrong: 200 },
  },
  {
    name: 'all-authenticated',
    manifests: namespace('all-authenticated'),
    expect: { meshed: 200, plaintext: 403, wrong: 200 },
  },
  {
    name: 'cluster-authenticated',
    manifests: namespace('cluster-authenticated'),
    expect: { meshed: 200, plaintext: 403, wrong: 200 },
  },
  {
    name: 'cluster-unauthenticated (loopback is a cluster network)',
    manifests: namespace('cluster-unauthenticated'),
    expect: { meshed: 200, plaintext: 200, wrong: 200 },
  },
  {
    name: "cluster-unauthenticated with Linkerd's cluster networks only (loopback outside)",
    manifests: namespace('cluster-unauthenticated'),
    defaults: { clusterNetworks: LINKERD_CLUSTER_NETWORKS },
    expect: { meshed: 403, plaintext: 403, wrong: 403 },
  },
  { name: 'deny', manifests: namespace('deny'), expect: { meshed: 403, plaintext: 403, wrong: 403 } },
  {
    name: 'audit (allowed, logged as would-be denials)',
    manifests: namespace('audit'),
    expect: { meshed: 200, plaintext: 200, wrong: 200 },
  },
  {
    name: 'Server (deny) + AuthorizationPolicy naming ServiceAccount client',
    manifests: onlyClientSA,
    expect: { meshed: 200, plaintext: 403, wrong: 403 },
  },
];

describe('inbound authorization over real proxies with mTLS', () => {
  let pki: MeshPki;
  let app: Echo;
  let mesh: AuthzMesh;
  const client = new Client();

  beforeAll(async () => {
    pki = await MeshPki.create();
    app = await startEcho('web');
    mesh = await startAuthzMesh({
      appPort: app.port,
      server: await pki.leaf(WEB),
      meshed: await pki.leaf(CLIENT),
      wrong: await pki.leaf(OTHER),
      initial: policyOf(namespace('all-unauthenticated')),
    });
  });
  afterAll(async () => {
    client.close();
    await mesh?.close();
    await app?.close();
  });

  it.each(table)(
    '$name: meshed $expect.meshed, plaintext $expect.plaintext, wrong identity $expect.wrong',
    async (row) => {
      mesh.policy.set(policyOf(row.manifests, {}, row.defaults ?? {}));
      mesh.audits.length = 0;
      const meshed = await client.send(mesh.meshedPort, '/x');
      const plaintext = await client.send(mesh.inbound.port, '/x');
      const wrong = await client.send(mesh.wrongPort, '/x');
      expect({ meshed: meshed.status, plaintext: plaintext.status, wrong: wrong.status }).toEqual(row.expect);
      for (const r of [meshed, plaintext, wrong])
        if (r.status === 403) expect(r.headers['weir-proxy-error']).toMatch(/^unauthorized request on server /);
      if (row.name.startsWith('audit')) expect(mesh.audits).toHaveLength(3);
      else expect(mesh.audits).toHaveLength(0);
    },
  );

  it('counts decisions with Linkerd metrics: allow with srv_/route_/authz_ labels and the client identity, deny with srv_/route_', async () => {
    mesh.policy.set(policyOf(onlyClientSA));
    const before = await mesh.metrics();
    const allowWhere = {
      srv_name: 'web-http',
      srv_kind: 'server',
      route_name: 'default',
      authz_name: 'web-from-client',
      authz_kind: 'authorizationpolicy',
      client_id: CLIENT,
    };
    const denyWhere = { srv_name: 'web-http', route_name: 'default', tls: 'no_identity' };
    expect((await client.send(mesh.meshedPort, '/m')).status).toBe(200);
    expect((await client.send(mesh.inbound.port, '/m')).status).toBe(403);
    const after = await mesh.metrics();
    expect(
      total(after, 'inbound_http_authz_allow_total', allowWhere) -
        total(before, 'inbound_http_authz_allow_total', allowWhere),
    ).toBe(1);
    expect(
      total(after, 'inbound_http_authz_deny_total', denyWhere) -
        total(before, 'inbound_http_authz_deny_total', denyWhere),
    ).toBe(1);
  });

  it("tells the app the client's proven identity as l5d-client-id, and drops one a client sent itself", async () => {
    mesh.policy.set(policyOf(namespace('all-unauthenticated')));
    const meshed = await client.send(mesh.meshedPort, '/id', { headers: { 'l5d-client-id': 'forged' } });
    expect(JSON.parse(meshed.body).headers['l5d-client-id']).toBe(CLIENT);
    const plaintext = await client.send(mesh.inbound.port, '/id', { headers: { 'l5d-client-id': CLIENT } });
    expect(JSON.parse(plaintext.body).headers['l5d-client-id']).toBeUndefined();
  });

  it('NetworkAuthentication with an except: 127.0.0.2 is let in, 127.0.0.3 (excepted) is not', async () => {
    mesh.policy.set(policyOf(networkExcept));
    expect(await getFrom(mesh.inbound.port, '/n', '127.0.0.2')).toBe(200);
    expect(await getFrom(mesh.inbound.port, '/n', '127.0.0.3')).toBe(403);
  });

  it('a route-scoped authorization allows GET /public and nothing else', async () => {
    mesh.policy.set(policyOf(publicRoute));
    expect((await client.send(mesh.inbound.port, '/public')).status).toBe(200);
    expect((await client.send(mesh.inbound.port, '/public', { method: 'POST', body: 'x' })).status).toBe(403);
    expect((await client.send(mesh.inbound.port, '/admin')).status).toBe(403);
    expect((await client.send(mesh.meshedPort, '/admin')).status).toBe(403);
    const m = await mesh.metrics();
    expect(
      total(m, 'inbound_http_authz_allow_total', { route_name: 'public', authz_name: 'public-for-all' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(m, 'inbound_http_authz_deny_total', { route_name: 'rest', route_kind: 'httproute' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('a rate limit answers 429 past 3 requests per second (a burst of 8 at once: 3 pass, the rest are refused)', async () => {
    mesh.policy.set(policyOf(rateLimited));
    const statuses = await Promise.all(Array.from({ length: 8 }, () => client.send(mesh.inbound.port, '/rl')));
    const ok = statuses.filter((r) => r.status === 200).length;
    const limited = statuses.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(ok + limited.length).toBe(8);
    expect(limited[0]!.headers['weir-proxy-error']).toBe('too many requests on server server:web-http');
    const m = await mesh.metrics();
    expect(total(m, 'inbound_http_local_ratelimit_rejected_total', { ratelimit_name: 'web-rl' })).toBe(limited.length);
  });

  it('plain HTTP/2 gets 403 with the proxy error header, the session kept', async () => {
    mesh.policy.set(policyOf(namespace('deny')));
    const h2 = new H2TestClient(mesh.inbound.port);
    try {
      const r = await h2.request({ ':method': 'GET', ':path': '/h2', ':authority': 'web' });
      expect(r.status).toBe(403);
      expect(r.headers['weir-proxy-error']).toBe('unauthorized request on server default:deny');
      mesh.policy.set(policyOf(namespace('all-unauthenticated')));
      // allowed now, on the same session: it passes authorization and is forwarded (the HTTP/1.1 echo app
      // cannot speak h2, hence the proxy's 502: what matters is that the 403 is gone)
      const again = await h2.request({ ':method': 'GET', ':path': '/h2', ':authority': 'web' });
      expect(again.status).not.toBe(403);
      expect(String(again.headers['weir-proxy-error'])).not.toMatch(/unauthorized/);
    } finally {
      h2.close();
    }
  });

  it('probes (GET on the probe paths from loopback) pass whatever the policy; other paths do not', async () => {
    mesh.policy.set(policyOf(namespace('deny'), { probePaths: ['/ready'] }));
    expect(await getFrom(mesh.inbound.port, '/ready')).toBe(200);
    expect(await getFrom(mesh.inbound.port, '/ready', HOST, 'POST')).toBe(403);
    expect(await getFrom(mesh.inbound.port, '/other')).toBe(403);
  });

  it('a Server with proxyProtocol opaque: HTTP bytes are TCP there, authorized per connection (deny: closed, no 403)', async () => {
    const opaqueServer = (accessPolicy: string) =>
      server(accessPolicy).replace('proxyProtocol: HTTP/1', 'proxyProtocol: opaque');
    mesh.policy.set(policyOf(opaqueServer('deny')));
    await expect(getFrom(mesh.inbound.port, '/o')).rejects.toThrow(/socket hang up|ECONNRESET/);
    mesh.policy.set(policyOf(opaqueServer('all-unauthenticated')));
    const before = await mesh.metrics();
    const where = { srv_name: 'web-http', authz_name: 'all-unauthenticated' };
    expect(await getFrom(mesh.inbound.port, '/o')).toBe(200);
    const after = await mesh.metrics();
    expect(
      total(after, 'inbound_tcp_authz_allow_total', where) - total(before, 'inbound_tcp_authz_allow_total', where),
    ).toBe(1);
  });

  it('a policy change applies to a keep-alive connection already open: its next request obeys', async () => {
    mesh.policy.set(policyOf(namespace('all-unauthenticated')));
    const raw = new RawClient(mesh.inbound.port);
    try {
      raw.write('GET /k1 HTTP/1.1\r\nhost: web\r\n\r\n');
      await raw.until((t) => /HTTP\/1\.1 200/.test(t) && t.includes('/k1'));
      mesh.policy.set(policyOf(namespace('deny')));
      raw.write('GET /k2 HTTP/1.1\r\nhost: web\r\n\r\n');
      const text = await raw.until((t) => /HTTP\/1\.1 403/.test(t));
      expect(text).toMatch(/weir-proxy-error: unauthorized request on server default:deny/);
      expect(raw.closed).toBe(false);
    } finally {
      raw.close();
    }
    // the meshed client's pooled connection to the inbound side obeys too
    expect((await client.send(mesh.meshedPort, '/k3')).status).toBe(403);
  });

  it('opaque TCP: a denied connection is closed unanswered and counted; an allowed one reaches the app', async () => {
    mesh.policy.set(policyOf(namespace('deny')));
    const denied = new RawClient(mesh.inbound.port);
    denied.write('\x00\x01 not http\r\n');
    await denied.until(() => false, 3_000).catch(() => undefined);
    expect(denied.closed || denied.ended).toBe(true);
    expect(denied.received.length).toBe(0);
    const m = await mesh.metrics();
    expect(total(m, 'inbound_tcp_authz_deny_total', { srv_name: 'deny', srv_kind: 'default' })).toBeGreaterThanOrEqual(
      1,
    );

    mesh.policy.set(policyOf(namespace('all-unauthenticated')));
    const allowed = new RawClient(mesh.inbound.port);
    allowed.write('\x00\x01 not http\r\n');
    // the app (an HTTP server) answers the garbage with 400: the bytes reached it
    await allowed.until((t) => t.includes('400'), 3_000);
    allowed.close();
  });
});

describe('inbound authorization of gRPC', () => {
  let app: GrpcApp;
  let inbound: InboundProxy;
  const policy = new StaticPolicySource(policyOf(namespace('deny')));
  beforeAll(async () => {
    app = await startGrpcApp('web');
    inbound = await startInboundProxy({
      appPort: app.port,
      namespace: 'test',
      deployment: 'web',
      detectTimeoutMs: 300,
      policy,
    });
  });
  afterAll(async () => {
    await inbound?.close({ drainMs: 100 });
    await app?.close();
  });

  it('a denied call gets PERMISSION_DENIED (never reaching the app); allowed, it is served', async () => {
    const c = grpcClient(inbound.port);
    try {
      const denied = await unary(c, 'Echo', { text: 'hi' });
      expect(denied.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(app.calls).toHaveLength(0);
      policy.set(policyOf(namespace('all-unauthenticated')));
      const ok = await unary(c, 'Echo', { text: 'hi' });
      expect(ok.reply?.app).toBe('web');
      policy.set(policyOf(rateLimited, { portNames: { http: 8080 } }));
      const calls = await Promise.all(Array.from({ length: 8 }, () => unary(c, 'Echo', { text: 'x' })));
      expect(calls.map((r) => r.error?.code ?? 0)).toContain(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      c.close();
    }
  });
});
