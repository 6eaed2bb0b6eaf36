import { CLOCK_SKEW_ALLOWANCE_MS, type Authority } from './authority.js';
import { spiffeId, type Workload } from './names.js';
import { ECDSA_P256, randomSerial, x509 } from './x509.js';

export const DEFAULT_LEAF_LIFETIME_MS = 24 * 3600 * 1000;

export interface LeafRequest {
  identity: string;
  workload: Workload;
  publicKey: x509.PublicKey;
  now: number;
  lifetimeMs: number;
}

/**
 * A workload's leaf certificate, signed by the issuer: not a CA; keyUsage digitalSignature and
 * keyEncipherment; extKeyUsage serverAuth and clientAuth (each side of an mTLS connection); the identity name
 * as CN and DNS SAN and the SPIFFE ID as URI SAN. Valid from `now` less the clock-skew allowance (20 s, as
 * Linkerd) for `lifetimeMs`, but never beyond the issuer.
 */
export async function issueLeaf(authority: Authority, req: LeafRequest): Promise<x509.X509Certificate> {
  const { issuer, issuerKey } = authority;
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${req.identity}`,
    issuer: issuer.subject,
    notBefore: new Date(req.now - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(Math.min(req.now + req.lifetimeMs, issuer.notAfter.getTime())),
    publicKey: req.publicKey,
    signingKey: issuerKey,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: req.identity },
        { type: 'url', value: spiffeId(req.workload) },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(req.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
}
