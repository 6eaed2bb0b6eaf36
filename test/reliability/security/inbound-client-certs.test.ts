import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundProxy, type InboundProxy } from '../../../proxy/index.js';
import { StaticPolicySource } from '../../../proxy/authz/source.js';
import type { TlsMaterial } from '../../../proxy/tls/material.js';
import { meshIdentity, MeshPki, TestIdentity } from '../../support/mesh-pki.js';
import { policyOf } from '../../support/policy-objects.js';
import { HOST } from '../../proxy/support/harness.js';
import { startSinkApp, type SinkApp } from '../hostile/support.js';

const WEB = meshIdentity('web', 'test');
const CLIENT = meshIdentity('client', 'test');
const OTHER = meshIdentity('other', 'test');

/** the Server `web-http` admits only the mesh identity of ServiceAccount `client` */
const ONLY_CLIENT = `
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web-http, namespace: test }
spec:
  podSelector: { matchLabels: { app: web } }
  port: http
  proxyProtocol: HTTP/1
  accessPolicy: deny
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

/** GET / on the inbound port over mTLS with `cert` (none: TLS without a client certificate) */
function tlsGet(port: number, trust: string, cert?: TlsMaterial): Promise<string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: HOST,
        port,
        path: '/secret',
        servername: WEB,
        ca: trust,
        ...(cert !== undefined ? { key: cert.keyPem, cert: cert.certChainPem } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(String(res.statusCode));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

function plainGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: HOST, port, path: '/secret', agent: false }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('meshed inbound port: only clients with a valid certificate of an admitted identity get through', () => {
  let pki: MeshPki;
  let app: SinkApp;
  let inbound: InboundProxy;

  beforeAll(async () => {
    pki = await MeshPki.create();
    app = await startSinkApp();
    inbound = await startInboundProxy({
      appPort: app.port,
      identity: new TestIdentity(await pki.leaf(WEB)),
      requireIdentity: true,
      policy: new StaticPolicySource(policyOf(ONLY_CLIENT)),
      namespace: 'test',
      deployment: 'web',
      detectTimeoutMs: 500,
      onAudit: () => undefined,
    });
  });
  afterAll(async () => {
    await inbound?.close({ drainMs: 0 });
    await app?.close();
  });

  it('a valid certificate of the admitted identity is served (the control case)', async () => {
    expect(await tlsGet(inbound.port, pki.trustAnchorsPem, await pki.leaf(CLIENT))).toBe('200');
  });

  it('plaintext is refused: 403', async () => {
    expect(await plainGet(inbound.port)).toBe('403');
  });

  it('TLS without a client certificate is refused: 403', async () => {
    expect(await tlsGet(inbound.port, pki.trustAnchorsPem)).toBe('403');
  });

  it('a valid certificate of another identity (wrong identity) is refused by the policy: 403', async () => {
    expect(await tlsGet(inbound.port, pki.trustAnchorsPem, await pki.leaf(OTHER))).toBe('403');
  });

  it('an expired certificate of the admitted identity, from the right CA, is refused: the connection is closed', async () => {
    // valid from a minute ago until 30 s ago
    const expired = await pki.leaf(CLIENT, { lifetimeMs: -30_000 });
    expect(['ECONNRESET', 'EPIPE', 'socket hang up']).toContain(
      await tlsGet(inbound.port, pki.trustAnchorsPem, expired),
    );
  });

  it('a certificate of the admitted identity signed by another CA (wrongly signed) is refused: the connection is closed', async () => {
    const stranger = await (await MeshPki.create('stranger-root')).leaf(CLIENT);
    expect(['ECONNRESET', 'EPIPE', 'socket hang up']).toContain(
      await tlsGet(inbound.port, pki.trustAnchorsPem, stranger),
    );
  });

  it('none of the refused clients reached the app', () => {
    expect(app.seen).toEqual(['GET /secret']);
  });
});
