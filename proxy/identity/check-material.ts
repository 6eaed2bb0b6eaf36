import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { CertifyResponse, TlsMaterial } from './types.js';

/** the certificates of a PEM bundle; throws when there is none */
export function parseTrustAnchors(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('identity: the trust anchors hold no PEM certificate');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`identity: trust anchor ${i + 1} is not a valid certificate (${(err as Error).message})`);
    }
  });
}

export function notAfterOf(cert: X509Certificate): number {
  return new Date(cert.validTo).getTime();
}

export interface MaterialToCheck {
  identity: string;
  keyPem: string;
  trustAnchorsPem: string;
  trustAnchors: X509Certificate[];
  response: CertifyResponse;
  now: number;
}

/**
 * The material of a Certify response, once it is fit to use (node:crypto only): every certificate is valid
 * now, the chain (leaf, then intermediates) verifies up to one of the trust anchors the proxy started with,
 * the leaf is no CA and names the identity (DNS SAN), and it is the certificate of our key.
 * Throws an Error saying what is wrong.
 */
export function checkMaterial(input: MaterialToCheck): TlsMaterial {
  const { identity, response, now } = input;
  const parse = (der: Buffer, what: string) => {
    try {
      return new X509Certificate(der);
    } catch {
      throw new Error(`${what} is not a DER certificate`);
    }
  };
  const leaf = parse(response.leafCertificate, 'the leaf');
  const chain = [leaf, ...response.intermediateCertificates.map((d, i) => parse(d, `intermediate ${i + 1}`))];

  for (const cert of chain) {
    if (new Date(cert.validFrom).getTime() > now)
      throw new Error(`${cert.subject} is not valid before ${cert.validFrom}`);
    if (notAfterOf(cert) <= now) throw new Error(`${cert.subject} expired on ${cert.validTo}`);
  }
  if (leaf.ca) throw new Error('the leaf is a CA certificate');
  if (leaf.checkHost(identity, { subject: 'never', wildcards: false }) !== identity)
    throw new Error(`the leaf names ${leaf.subjectAltName ?? 'nothing'}, not ${identity}`);
  if (!leaf.checkPrivateKey(createPrivateKey(input.keyPem)))
    throw new Error('the leaf is not the certificate of our key');

  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i]!, chain[i + 1]!];
    if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
      throw new Error(`${cert.subject} is not signed by the next certificate of the chain (${issuer.subject})`);
  }
  const top = chain.at(-1)!;
  const anchored = input.trustAnchors.some(
    (a) => a.fingerprint256 === top.fingerprint256 || (top.checkIssued(a) && top.verify(a.publicKey)),
  );
  if (!anchored) throw new Error(`the chain does not verify to the trust anchors (it ends at ${top.issuer})`);

  return {
    identity,
    keyPem: input.keyPem,
    certChainPem: chain.map((c) => c.toString()).join(''),
    trustAnchorsPem: input.trustAnchorsPem,
    notAfter: notAfterOf(leaf),
  };
}
