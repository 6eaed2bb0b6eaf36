// Original file: proto/identity.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface CertifyResponse {
  /**
   * DER
   */
  'leafCertificate'?: (Buffer | Uint8Array | string);
  /**
   * DER, the issuer first
   */
  'intermediateCertificates'?: (Buffer | Uint8Array | string)[];
  'validUntil'?: (_google_protobuf_Timestamp | null);
}

export interface CertifyResponse__Output {
  /**
   * DER
   */
  'leafCertificate': (Buffer);
  /**
   * DER, the issuer first
   */
  'intermediateCertificates': (Buffer)[];
  'validUntil': (_google_protobuf_Timestamp__Output | null);
}
