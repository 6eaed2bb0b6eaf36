import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CertifyError,
  type Certifier,
  type CertifyRequest,
  type CertifyResponse,
} from '../../../controlplane/grpc/identity-service.js';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import { certifyOverGrpc, CertifyCallError } from '../../../proxy/control/certify.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateAuthority } from '../../../controlplane/identity/authority-store.js';
import { CaCertifier } from '../../../controlplane/identity/ca-certifier.js';
import { LocalTokens } from '../../../controlplane/identity/local-tokens.js';
import { identityName } from '../../../controlplane/identity/names.js';
import { ManualConfigSource } from '../../proxy/support/harness.js';
import { makeCsr } from '../identity/support.js';

const ID = 'default.test.serviceaccount.identity.weir.cluster.local';
const empty = () => new ManualConfigSource({ services: [], httpRoutes: [], endpoints: [] });

describe('the Identity API', () => {
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.close();
  });

  async function serve(certify: (req: CertifyRequest) => Promise<CertifyResponse>) {
    const seen: CertifyRequest[] = [];
    const certifier: Certifier = {
      certify: (req) => {
        seen.push(req);
        return certify(req);
      },
    };
    cp = await startControlPlane({ configSource: empty(), certifier });
    // the proxy's client has the certifier's shape
    const call: Certifier['certify'] = certifyOverGrpc(cp.address);
    return { call, seen };
  }

  it('hands the request to the certifier and returns its chain and expiry', async () => {
    const { call, seen } = await serve(async () => ({
      leafCertificate: Buffer.from([1, 2, 3]),
      intermediateCertificates: [Buffer.from([4]), Buffer.from([5, 6])],
      validUntilMs: 1_893_456_000_123,
    }));
    const res = await call({ identity: ID, token: 'the-token', csr: Buffer.from([0x30, 0x82, 0x01]) });
    expect(res).toEqual({
      leafCertificate: Buffer.from([1, 2, 3]),
      intermediateCertificates: [Buffer.from([4]), Buffer.from([5, 6])],
      validUntilMs: 1_893_456_000_123,
    });
    expect(seen).toEqual([{ identity: ID, token: 'the-token', csr: Buffer.from([0x30, 0x82, 0x01]) }]);
  });

  it.each([
    [new CertifyError('unauthenticated', 'token does not prove test/default'), status.UNAUTHENTICATED],
    [new CertifyError('invalid-argument', 'csr: not a PKCS#10 request'), status.INVALID_ARGUMENT],
    [new Error('disk full'), status.INTERNAL],
  ])('maps %s to gRPC status %i', async (err, code) => {
    const { call } = await serve(() => Promise.reject(err));
    const failure = await call({ identity: ID, token: 't', csr: Buffer.alloc(1) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CertifyCallError);
    expect((failure as CertifyCallError).code).toBe(code);
    expect((failure as CertifyCallError).message).toContain(err.message);
  });

  it('answers UNIMPLEMENTED when the control plane has no certifier', async () => {
    cp = await startControlPlane({ configSource: empty() });
    const failure = await certifyOverGrpc(cp.address)({ identity: ID, token: 't', csr: Buffer.alloc(1) }).catch(
      (e: unknown) => e,
    );
    expect((failure as CertifyCallError).code).toBe(status.UNIMPLEMENTED);
  });

  it('serves the identity CA itself: a certificate for a good token, UNAUTHENTICATED for a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-grpc-ca-'));
    try {
      const tokens = new LocalTokens();
      const web = { namespace: 'test', serviceAccount: 'web' };
      const certifier = new CaCertifier({ authority: await loadOrCreateAuthority(dir), tokens });
      cp = await startControlPlane({ configSource: empty(), certifier });
      const call = certifyOverGrpc(cp.address);
      const { csr } = await makeCsr(identityName(web));
      const res = await call({ identity: identityName(web), token: tokens.issue(web), csr });
      expect(res.intermediateCertificates).toHaveLength(1);
      const refused = await call({ identity: identityName(web), token: 'forged', csr }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CertifyCallError);
      expect((refused as CertifyCallError).code).toBe(status.UNAUTHENTICATED);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
