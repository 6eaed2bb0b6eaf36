// Original file: proto/identity.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CertifyRequest as _weir_identity_v1_CertifyRequest, CertifyRequest__Output as _weir_identity_v1_CertifyRequest__Output } from '../../../weir/identity/v1/CertifyRequest.js';
import type { CertifyResponse as _weir_identity_v1_CertifyResponse, CertifyResponse__Output as _weir_identity_v1_CertifyResponse__Output } from '../../../weir/identity/v1/CertifyResponse.js';

export interface IdentityClient extends grpc.Client {
  /**
   * Sign a sidecar's CSR when its token proves the identity it asks for.
   * UNAUTHENTICATED: the token does not prove the identity; INVALID_ARGUMENT: a malformed request.
   */
  Certify(argument: _weir_identity_v1_CertifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weir_identity_v1_CertifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weir_identity_v1_CertifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weir_identity_v1_CertifyRequest, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sign a sidecar's CSR when its token proves the identity it asks for.
   * UNAUTHENTICATED: the token does not prove the identity; INVALID_ARGUMENT: a malformed request.
   */
  certify(argument: _weir_identity_v1_CertifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weir_identity_v1_CertifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weir_identity_v1_CertifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weir_identity_v1_CertifyRequest, callback: grpc.requestCallback<_weir_identity_v1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface IdentityHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Sign a sidecar's CSR when its token proves the identity it asks for.
   * UNAUTHENTICATED: the token does not prove the identity; INVALID_ARGUMENT: a malformed request.
   */
  Certify: grpc.handleUnaryCall<_weir_identity_v1_CertifyRequest__Output, _weir_identity_v1_CertifyResponse>;
  
}

export interface IdentityDefinition extends grpc.ServiceDefinition {
  Certify: MethodDefinition<_weir_identity_v1_CertifyRequest, _weir_identity_v1_CertifyResponse, _weir_identity_v1_CertifyRequest__Output, _weir_identity_v1_CertifyResponse__Output>
}
