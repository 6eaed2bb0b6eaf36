import { webcrypto } from 'node:crypto';
import { ECDSA_P256, privateKeyToPem, x509 } from '../../../controlplane/identity/x509.js';

export interface TestCsr {
  csr: Buffer;
  keyPem: string;
}

/** a workload's key and a CSR for it, as a sidecar makes them; `extensions`/`name` override what it asks for */
export async function makeCsr(
  identity: string,
  options: { name?: string; extensions?: x509.Extension[]; namedCurve?: 'P-256' | 'P-384' } = {},
): Promise<TestCsr> {
  const alg = { ...ECDSA_P256, namedCurve: options.namedCurve ?? 'P-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.name ?? `CN=${identity}`,
    keys,
    signingAlgorithm: alg,
    extensions: options.extensions ?? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }])],
  });
  return { csr: Buffer.from(csr.rawData), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** DER to PEM */
export function pem(der: Buffer): string {
  return x509.PemConverter.encode(der, 'CERTIFICATE') + '\n';
}
