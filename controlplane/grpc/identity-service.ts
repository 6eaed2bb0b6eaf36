import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CertifyRequest__Output } from '../../proto/generated/weir/identity/v1/CertifyRequest.js';
import type { CertifyResponse as CertifyResponseMessage } from '../../proto/generated/weir/identity/v1/CertifyResponse.js';
import type { IdentityHandlers } from '../../proto/generated/weir/identity/v1/Identity.js';

import { CertifyError, type Certifier, type CertifyRequest, type CertifyResponse } from '../identity/certifier.js';

export { CertifyError, type Certifier, type CertifyRequest, type CertifyResponse };

/** a CertifyError's code as a gRPC status; anything else is INTERNAL */
export function certifyStatus(err: unknown): status {
  if (err instanceof CertifyError) {
    return err.code === 'unauthenticated' ? status.UNAUTHENTICATED : status.INVALID_ARGUMENT;
  }
  return status.INTERNAL;
}

/** `Identity.Certify` over an injected certifier; without one every call is UNIMPLEMENTED. */
export function identityService(certifier: Certifier | undefined): IdentityHandlers {
  return {
    Certify(
      call: ServerUnaryCall<CertifyRequest__Output, CertifyResponseMessage>,
      done: sendUnaryData<CertifyResponseMessage>,
    ) {
      if (certifier === undefined) {
        done({ code: status.UNIMPLEMENTED, details: 'this control plane has no identity issuer' });
        return;
      }
      const req: CertifyRequest = {
        identity: call.request.identity,
        token: Buffer.from(call.request.token).toString('utf8'),
        csr: Buffer.from(call.request.certificateSigningRequest),
      };
      certifier.certify(req).then(
        (res) => {
          const seconds = Math.floor(res.validUntilMs / 1000);
          done(null, {
            leafCertificate: res.leafCertificate,
            intermediateCertificates: res.intermediateCertificates,
            validUntil: { seconds: String(seconds), nanos: (res.validUntilMs - seconds * 1000) * 1_000_000 },
          });
        },
        (err: unknown) => {
          const code = certifyStatus(err);
          const message = err instanceof Error ? err.message : String(err);
          done({ code, details: code === status.INTERNAL ? `certify failed: ${message}` : message });
        },
      );
    },
  };
}
