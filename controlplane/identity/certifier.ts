/**
 * The identity service, as Linkerd's `Identity.Certify`: a proxy sends the identity it claims, a token that
 * proves its workload, and a CSR for its own key; it gets back a leaf certificate and the intermediates.
 */
import type { CertifyRequest, CertifyResponse } from '../../proto/certify.js';

export type { CertifyRequest, CertifyResponse };

export interface Certifier {
  certify(req: CertifyRequest): Promise<CertifyResponse>;
}

/**
 * A refused request: `unauthenticated` when the token proves no workload or another one, `invalid-argument`
 * when the identity or the CSR is malformed, tampered with or asks for something else. Any other error is
 * the service's own failure (a token review that could not be made, for instance).
 */
export class CertifyError extends Error {
  constructor(
    readonly code: 'unauthenticated' | 'invalid-argument',
    message: string,
  ) {
    super(message);
    this.name = 'CertifyError';
  }
}
