import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { IdentitySource, TlsMaterial } from '../../proxy/tls/material.js';

/**
 * A mesh PKI for tests, made with @peculiar/x509 over node:crypto (ECDSA P-256, as Linkerd's): a trust
 * anchor, an issuer it signs, and workload leaves the issuer signs, each naming its identity as a DNS
 * SAN (`<sa>.<ns>.serviceaccount.identity.weir.cluster.local`) and a SPIFFE URI SAN.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export function meshIdentity(sa: string, ns: string): string {
  return `${sa}.${ns}.serviceaccount.identity.weir.cluster.local`;
}

interface Signer {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const HOUR = 3_600_000;

export class MeshPki {
  private constructor(
    readonly anchor: Signer,
    readonly issuer: Signer,
  ) {}

  static async create(name = 'root.weir.cluster.local'): Promise<MeshPki> {
    const anchorKeys = await keyPair();
    const anchor = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name}`,
      keys: anchorKeys,
      signingAlgorithm: ALG,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + 24 * HOUR),
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    const issuerKeys = await keyPair();
    const issuer = await x509.X509CertificateGenerator.create({
      subject: `CN=identity.weir.cluster.local`,
      issuer: anchor.subject,
      publicKey: issuerKeys.publicKey,
      signingKey: anchorKeys.privateKey,
      signingAlgorithm: ALG,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + 24 * HOUR),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new MeshPki({ cert: anchor, keys: anchorKeys }, { cert: issuer, keys: issuerKeys });
  }

  get trustAnchorsPem(): string {
    return this.anchor.cert.toString('pem');
  }

  /** a workload's material: its key, leaf + issuer chain, the trust anchor; `dns` overrides the SAN */
  async leaf(identity: string, options: { dns?: string; lifetimeMs?: number } = {}): Promise<TlsMaterial> {
    const keys = await keyPair();
    const [sa, ns] = identity.split('.');
    const notAfter = Date.now() + (options.lifetimeMs ?? 24 * HOUR);
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${identity}`,
      issuer: this.issuer.cert.subject,
      publicKey: keys.publicKey,
      signingKey: this.issuer.keys.privateKey,
      signingAlgorithm: ALG,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(notAfter),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: options.dns ?? identity },
          { type: 'url', value: `spiffe://cluster.local/ns/${ns ?? ''}/sa/${sa ?? ''}` },
        ]),
      ],
    });
    return {
      identity,
      keyPem: await keyPem(keys),
      certChainPem: `${cert.toString('pem')}\n${this.issuer.cert.toString('pem')}\n`,
      trustAnchorsPem: this.trustAnchorsPem,
      notAfter,
    };
  }
}

/** An `IdentitySource` the test drives: `set` is a renewal. */
export class TestIdentity implements IdentitySource {
  private readonly listeners = new Set<(m: TlsMaterial) => void>();
  constructor(private material: TlsMaterial | undefined) {}

  current(): TlsMaterial | undefined {
    return this.material;
  }

  onUpdate(listener: (m: TlsMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(m: TlsMaterial): void {
    this.material = m;
    for (const l of this.listeners) l(m);
  }
}
