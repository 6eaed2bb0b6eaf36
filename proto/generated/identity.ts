import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { CertifyRequest as _weir_identity_v1_CertifyRequest, CertifyRequest__Output as _weir_identity_v1_CertifyRequest__Output } from './weir/identity/v1/CertifyRequest.js';
import type { CertifyResponse as _weir_identity_v1_CertifyResponse, CertifyResponse__Output as _weir_identity_v1_CertifyResponse__Output } from './weir/identity/v1/CertifyResponse.js';
import type { IdentityClient as _weir_identity_v1_IdentityClient, IdentityDefinition as _weir_identity_v1_IdentityDefinition } from './weir/identity/v1/Identity.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  weir: {
    identity: {
      v1: {
        CertifyRequest: MessageTypeDefinition<_weir_identity_v1_CertifyRequest, _weir_identity_v1_CertifyRequest__Output>
        CertifyResponse: MessageTypeDefinition<_weir_identity_v1_CertifyResponse, _weir_identity_v1_CertifyResponse__Output>
        Identity: SubtypeConstructor<typeof grpc.Client, _weir_identity_v1_IdentityClient> & { service: _weir_identity_v1_IdentityDefinition }
      }
    }
  }
}

