import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { Authority } from './authority.js';
import { privateKeyFromPem, x509, type CryptoKey, type EcKeyAlgorithm } from './x509.js';

/** An identity file that cannot be used; the message starts with the file's name. */
export class AuthorityError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'AuthorityError';
  }
}

/** The three PEM files of an authority: their contents and the names they are reported under. */
export interface AuthorityFiles {
  trustAnchor: { file: string; pem: string };
  issuerCert: { file: string; pem: string };
  issuerKey: { file: string; pem: string };
}

/**
 * Check an authority given as PEM (the user's, or the one kept in the state directory) and load it:
 * every trust anchor and the issuer are CA certificates valid at `now`, the issuer is signed by one of the
 * anchors, and the issuer key is an ECDSA P-256 key that matches the issuer certificate.
 * Throws an `AuthorityError` naming the file at fault.
 */
export async function validateAuthority(files: AuthorityFiles, now: number): Promise<Authority> {
  const { trustAnchor, issuerCert, issuerKey } = files;
  const trustAnchors = parseCertificates(trustAnchor.file, trustAnchor.pem);
  for (const cert of trustAnchors) checkCa(trustAnchor.file, cert, now);

  const issuer = parseCertificates(issuerCert.file, issuerCert.pem)[0]!;
  checkCa(issuerCert.file, issuer, now);
  const alg = issuer.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256')
    throw new AuthorityError(
      issuerCert.file,
      `the issuer has a ${[alg.name, alg.namedCurve].filter(Boolean).join(' ')} key; ECDSA P-256 is required`,
    );
  let signedByAnchor = false;
  for (const anchor of trustAnchors) {
    if (await issuer.verify({ publicKey: anchor.publicKey, signatureOnly: true }).catch(() => false)) {
      signedByAnchor = true;
      break;
    }
  }
  if (!signedByAnchor)
    throw new AuthorityError(
      issuerCert.file,
      `the issuer certificate (${issuer.subject}, issued by ${issuer.issuer}) is not signed by the trust anchor in ${trustAnchor.file}`,
    );

  let key: CryptoKey;
  try {
    key = await privateKeyFromPem(issuerKey.pem);
  } catch (err) {
    throw new AuthorityError(issuerKey.file, (err as Error).message);
  }
  const keySpki = createPublicKey(createPrivateKey(issuerKey.pem)).export({ format: 'der', type: 'spki' });
  if (!keySpki.equals(Buffer.from(issuer.publicKey.rawData)))
    throw new AuthorityError(
      issuerKey.file,
      `the private key does not match the issuer certificate in ${issuerCert.file}`,
    );

  return { trustAnchors, issuer, issuerKey: key };
}

function parseCertificates(file: string, pem: string): x509.X509Certificate[] {
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new AuthorityError(file, 'no PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  try {
    return x509.PemConverter.decodeWithHeaders(pem)
      .filter((block) => block.type === 'CERTIFICATE')
      .map((block) => new x509.X509Certificate(block.rawData));
  } catch (err) {
    throw new AuthorityError(file, `not a valid PEM certificate: ${(err as Error).message}`);
  }
}

function checkCa(file: string, cert: x509.X509Certificate, now: number): void {
  const name = cert.subject || '(no subject)';
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca)
    throw new AuthorityError(file, `${name} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign))
    throw new AuthorityError(file, `${name} may not sign certificates (keyUsage lacks keyCertSign)`);
  if (cert.notAfter.getTime() <= now)
    throw new AuthorityError(file, `${name} expired on ${cert.notAfter.toISOString()}`);
  if (cert.notBefore.getTime() > now)
    throw new AuthorityError(file, `${name} is not valid before ${cert.notBefore.toISOString()}`);
}
