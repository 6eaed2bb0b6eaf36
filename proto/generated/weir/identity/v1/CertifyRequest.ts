// Original file: proto/identity.proto


export interface CertifyRequest {
  /**
   * e.g. `default.test.serviceaccount.identity.weir.cluster.local`
   */
  'identity'?: (string);
  /**
   * proof of the workload: the token the runtime handed the sidecar (a service account token on a cluster)
   */
  'token'?: (Buffer | Uint8Array | string);
  /**
   * PKCS#10, DER
   */
  'certificateSigningRequest'?: (Buffer | Uint8Array | string);
}

export interface CertifyRequest__Output {
  /**
   * e.g. `default.test.serviceaccount.identity.weir.cluster.local`
   */
  'identity': (string);
  /**
   * proof of the workload: the token the runtime handed the sidecar (a service account token on a cluster)
   */
  'token': (Buffer);
  /**
   * PKCS#10, DER
   */
  'certificateSigningRequest': (Buffer);
}
