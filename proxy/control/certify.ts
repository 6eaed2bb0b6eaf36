import { status, type ServiceError } from '@grpc/grpc-js';
import type { CertifyResponse__Output } from '../../proto/generated/weir/identity/v1/CertifyResponse.js';
import { identityClient } from './clients.js';

import type { CertifyRequest, CertifyResponse } from '../../proto/certify.js';

export type { CertifyRequest, CertifyResponse };

/** a Certify call that failed: `code` is the gRPC status (UNAUTHENTICATED, INVALID_ARGUMENT, UNAVAILABLE, ...) */
export class CertifyCallError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CertifyCallError';
  }
}

export interface CertifyOverGrpcOptions {
  /** per call (default 10 s) */
  timeoutMs?: number;
}

/**
 * `Identity.Certify` on the control plane at `address` (`host:port`), as a function with the
 * certifier's shape. One channel, reused by every call.
 */
export function certifyOverGrpc(
  address: string,
  options: CertifyOverGrpcOptions = {},
): (req: CertifyRequest) => Promise<CertifyResponse> {
  const client = identityClient(address);
  return (req) =>
    new Promise((resolve, reject) => {
      client.Certify(
        { identity: req.identity, token: Buffer.from(req.token, 'utf8'), certificateSigningRequest: req.csr },
        { deadline: Date.now() + (options.timeoutMs ?? 10_000) },
        (err: ServiceError | null, res?: CertifyResponse__Output) => {
          if (err !== null || res === undefined) {
            const code = err?.code ?? status.INTERNAL;
            reject(
              new CertifyCallError(code, `certify ${req.identity}: ${status[code]}: ${err?.details ?? 'no response'}`),
            );
            return;
          }
          const until = res.validUntil;
          resolve({
            leafCertificate: Buffer.from(res.leafCertificate),
            intermediateCertificates: res.intermediateCertificates.map((c) => Buffer.from(c)),
            validUntilMs: until === null ? 0 : Number(until.seconds) * 1000 + Math.floor(until.nanos / 1_000_000),
          });
        },
      );
    });
}
