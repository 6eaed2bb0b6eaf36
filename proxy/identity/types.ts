/**
 * The sidecar's side of identity. The Certify messages are the control plane's (controlplane/identity/
 * certifier.ts), declared again here because proxy/ imports nothing of controlplane/.
 */
export interface CertifyRequest {
  identity: string;
  token: string;
  /** DER PKCS#10 */
  csr: Buffer;
}

export interface CertifyResponse {
  /** DER */
  leafCertificate: Buffer;
  /** DER, the issuer first */
  intermediateCertificates: Buffer[];
  validUntilMs: number;
}

/** What the mTLS layer serves and connects with: a key, its certificate chain and the roots to trust. */
export interface TlsMaterial {
  identity: string;
  keyPem: string;
  /** leaf first, then intermediates */
  certChainPem: string;
  trustAnchorsPem: string;
  /** ms epoch */
  notAfter: number;
}

/** The current material, and every renewal of it. */
export interface IdentitySource {
  current(): TlsMaterial | undefined;
  /** called with each new material; returns the unsubscribe */
  onUpdate(listener: (m: TlsMaterial) => void): () => void;
}
