/**
 * `Identity.Certify` (identity.proto) as TypeScript values, for both ends: the control plane's identity CA
 * (controlplane/identity/certifier.ts, served by controlplane/grpc/identity-service.ts) and the sidecar
 * (proxy/identity/, over proxy/control/certify.ts). Certificates travel DER-encoded, as in Linkerd's API.
 */
export interface CertifyRequest {
  /** the identity claimed: `<sa>.<ns>.serviceaccount.identity.weir.cluster.local` */
  identity: string;
  /** what proves the workload: a token of the local runtime, or a service account token on a cluster */
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
