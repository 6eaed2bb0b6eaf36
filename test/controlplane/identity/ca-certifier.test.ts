import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authority } from '../../../controlplane/identity/authority.js';
import { loadOrCreateAuthority } from '../../../controlplane/identity/authority-store.js';
import { CaCertifier } from '../../../controlplane/identity/ca-certifier.js';
import { CertifyError, type CertifyRequest } from '../../../controlplane/identity/certifier.js';
import { LocalTokens } from '../../../controlplane/identity/local-tokens.js';
import { identityName } from '../../../controlplane/identity/names.js';
import { x509 } from '../../../controlplane/identity/x509.js';
import { makeCsr } from './support.js';

const web = { namespace: 'test', serviceAccount: 'web' };
const api = { namespace: 'test', serviceAccount: 'api' };
const webId = identityName(web);

let dir: string;
let authority: Authority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-certifier-'));
  authority = await loadOrCreateAuthority(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<CertifyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CertifyError);
  return err as CertifyError;
}

describe('CaCertifier', () => {
  it('issues a leaf for the workload its token proves, chained by node:crypto up to the trust anchor', async () => {
    const tokens = new LocalTokens();
    const now = Date.now();
    const certifier = new CaCertifier({ authority, tokens, now: () => now });
    const { csr, keyPem } = await makeCsr(webId);
    const res = await certifier.certify({ identity: webId, token: tokens.issue(web), csr });

    const leaf = new X509Certificate(res.leafCertificate);
    expect(res.intermediateCertificates).toHaveLength(1);
    const issuer = new X509Certificate(res.intermediateCertificates[0]!);
    const anchor = new X509Certificate(Buffer.from(authority.trustAnchors[0]!.rawData));
    expect(leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey)).toBe(true);
    expect(issuer.checkIssued(anchor) && issuer.verify(anchor.publicKey)).toBe(true);
    expect(leaf.verify(anchor.publicKey)).toBe(false);

    expect(leaf.subjectAltName).toBe(`DNS:${webId}, URI:spiffe://cluster.local/ns/test/sa/web`);
    expect(leaf.subject).toBe(`CN=${webId}`);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
    const usages = new x509.X509Certificate(res.leafCertificate).getExtension(x509.KeyUsagesExtension);
    expect(usages?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem))).toBe(true);

    // 24 h by default, from 20 s before now (the clock-skew allowance)
    const seconds = (d: number) => Math.floor(d / 1000) * 1000;
    expect(new Date(leaf.validFrom).getTime()).toBe(seconds(now - 20_000));
    expect(new Date(leaf.validTo).getTime()).toBe(seconds(now + 24 * 3600 * 1000));
    expect(res.validUntilMs).toBe(new Date(leaf.validTo).getTime());
  });

  it('issues leaves of the configured lifetime, down to seconds', async () => {
    const tokens = new LocalTokens();
    const now = Date.now();
    const certifier = new CaCertifier({ authority, tokens, leafLifetimeMs: 5_000, now: () => now });
    const res = await certifier.certify({ identity: webId, token: tokens.issue(web), csr: (await makeCsr(webId)).csr });
    expect(res.validUntilMs).toBe(Math.floor((now + 5_000) / 1000) * 1000);
    expect(() => new CaCertifier({ authority, tokens, leafLifetimeMs: 10 })).toThrow(/at least 1 s/);
  });

  describe('refuses', () => {
    const tokens = new LocalTokens();
    const certifier = () => new CaCertifier({ authority, tokens });
    const request = async (over: Partial<CertifyRequest> = {}): Promise<CertifyRequest> => ({
      identity: webId,
      token: tokens.issue(web),
      csr: (await makeCsr(webId)).csr,
      ...over,
    });

    it('a token that proves another workload (unauthenticated)', async () => {
      const err = await refusal(certifier().certify(await request({ token: tokens.issue(api) })));
      expect(err.code).toBe('unauthenticated');
      expect(err.message).toContain(`token=${identityName(api)}`);
    });

    it('a token nobody issued, or one revoked, or none (unauthenticated)', async () => {
      expect((await refusal(certifier().certify(await request({ token: 'made-up' })))).code).toBe('unauthenticated');
      const revoked = tokens.issue(web);
      expect(tokens.revoke(revoked)).toBe(true);
      expect((await refusal(certifier().certify(await request({ token: revoked })))).code).toBe('unauthenticated');
      expect((await refusal(certifier().certify(await request({ token: '' })))).code).toBe('unauthenticated');
    });

    it('a CSR for another name than the identity requested (invalid-argument)', async () => {
      const other = identityName(api);
      const forOther = await makeCsr(other);
      const err = await refusal(certifier().certify(await request({ csr: forOther.csr })));
      expect(err.code).toBe('invalid-argument');
      // and asking for that other name with a token of ours is not enough either
      const err2 = await refusal(certifier().certify(await request({ identity: other, csr: forOther.csr })));
      expect(err2.code).toBe('unauthenticated');
    });

    it('a tampered CSR: its signature no longer verifies (invalid-argument)', async () => {
      const { csr } = await makeCsr(webId);
      const at = csr.indexOf(Buffer.from('web.test'));
      expect(at).toBeGreaterThan(0);
      const tampered = Buffer.from(csr);
      tampered.write('bew', at); // bew.test.serviceaccount... : still well formed, no longer signed
      const bew = webId.replace(/^web/, 'bew');
      const err = await refusal(
        certifier().certify(
          await request({ identity: bew, token: tokens.issue({ ...web, serviceAccount: 'bew' }), csr: tampered }),
        ),
      );
      expect(err.code).toBe('invalid-argument');
      expect(err.message).toBe('CSR: its signature does not verify');
    });

    it('a CSR that asks for more: another SAN, a CA, another subject, another curve (invalid-argument)', async () => {
      const cases = [
        await makeCsr(webId, {
          extensions: [
            new x509.SubjectAlternativeNameExtension([
              { type: 'dns', value: webId },
              { type: 'dns', value: 'evil.example' },
            ]),
          ],
        }),
        await makeCsr(webId, {
          extensions: [
            new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: webId }]),
            new x509.BasicConstraintsExtension(true, undefined, true),
          ],
        }),
        await makeCsr(webId, { name: `CN=${webId}, O=evil` }),
        await makeCsr(webId, { extensions: [] }),
        await makeCsr(webId, { namedCurve: 'P-384' }),
      ];
      for (const { csr } of cases) {
        const err = await refusal(certifier().certify(await request({ csr })));
        expect(err.code, err.message).toBe('invalid-argument');
      }
    });

    it('bytes that are no CSR, and an identity that is not ours (invalid-argument)', async () => {
      expect((await refusal(certifier().certify(await request({ csr: Buffer.from('hello') })))).code).toBe(
        'invalid-argument',
      );
      expect((await refusal(certifier().certify(await request({ identity: 'web.test.svc' })))).code).toBe(
        'invalid-argument',
      );
    });
  });
});
