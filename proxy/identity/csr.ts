import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

export interface KeyAndCsr {
  /** PKCS#8 PEM; it never leaves the process */
  keyPem: string;
  /** DER PKCS#10 naming `identity` as CN and as the only DNS SAN, as Linkerd's proxy-identity makes it */
  csr: Buffer;
}

/**
 * A new ECDSA P-256 key and a CSR for `identity`. @peculiar/x509 is imported here, on first use, so that a
 * proxy without identity does not load it (its memory is measured).
 */
export async function createKeyAndCsr(identity: string): Promise<KeyAndCsr> {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as Parameters<X509.CryptoProvider['set']>[1]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [identity] }],
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n', csr: Buffer.from(csr.rawData) };
}
