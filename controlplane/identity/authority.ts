import { ECDSA_P256, generateKeyPair, randomSerial, x509, type CryptoKey, type CryptoKeyPair } from './x509.js';

/**
 * What the identity service signs with: the trust anchors every proxy trusts (the root, or a bundle of roots
 * during a rotation) and the issuer (an intermediate CA signed by one of them) with its private key.
 */
export interface Authority {
  trustAnchors: x509.X509Certificate[];
  issuer: x509.X509Certificate;
  issuerKey: CryptoKey;
}

/** Linkerd's names: `root.linkerd.cluster.local` and `identity.linkerd.cluster.local` */
export const TRUST_ANCHOR_NAME = 'CN=root.weir.cluster.local';
export const ISSUER_NAME = 'CN=identity.weir.cluster.local';

const DAY_MS = 24 * 3600 * 1000;
export const TRUST_ANCHOR_LIFETIME_MS = 10 * 365 * DAY_MS;
export const ISSUER_LIFETIME_MS = 365 * DAY_MS;
/** certificates are valid from a little before they are made, so that a clock a little behind accepts them */
export const CLOCK_SKEW_ALLOWANCE_MS = 20_000;

export interface CaCertificate {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/** A self-signed root CA (ECDSA P-256), the trust anchor. */
export async function createTrustAnchor(now: number, lifetimeMs = TRUST_ANCHOR_LIFETIME_MS): Promise<CaCertificate> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: TRUST_ANCHOR_NAME,
    notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

/** An intermediate CA signed by `anchor`, allowed to sign leaves only (path length 0). */
export async function createIssuer(
  anchor: x509.X509Certificate,
  anchorKey: CryptoKey,
  now: number,
  lifetimeMs = ISSUER_LIFETIME_MS,
): Promise<CaCertificate> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: ISSUER_NAME,
    issuer: anchor.subject,
    notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(Math.min(now + lifetimeMs, anchor.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: anchorKey,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(anchor),
    ],
  });
  return { cert, keys };
}

/** the trust anchors as one PEM bundle, what proxies are given */
export function trustAnchorsPem(authority: Pick<Authority, 'trustAnchors'>): string {
  return authority.trustAnchors.map((c) => c.toString('pem')).join('\n') + '\n';
}
