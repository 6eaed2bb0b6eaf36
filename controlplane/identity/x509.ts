import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';

/** WebCrypto's key types (the project's lib has no DOM) */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;

/**
 * @peculiar/x509 on Node's WebCrypto. The library imports `reflect-metadata` itself (its build starts with
 * `import 'reflect-metadata'`), so nothing else is needed before it is used.
 */
x509.cryptoProvider.set(webcrypto as Parameters<x509.CryptoProvider['set']>[1]);

export { x509 };

/** ECDSA P-256 with SHA-256: the only algorithm of Weir's identity, as Linkerd's */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * A private key from PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, as openssl and step write them),
 * as a WebCrypto signing key. Throws a plain message when it is not an ECDSA P-256 key.
 */
export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error(
      `an ECDSA P-256 key is required, got ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}`,
    );
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, ECDSA_P256, true, ['sign']);
}

/** a random positive serial number of 16 bytes, as hex */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
