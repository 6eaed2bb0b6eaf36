// Original file: proto/egress.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EgressPolicy as _weir_egress_v1_EgressPolicy, EgressPolicy__Output as _weir_egress_v1_EgressPolicy__Output } from '../../../weir/egress/v1/EgressPolicy.js';
import type { EgressWatch as _weir_egress_v1_EgressWatch, EgressWatch__Output as _weir_egress_v1_EgressWatch__Output } from '../../../weir/egress/v1/EgressWatch.js';

export interface EgressPoliciesClient extends grpc.Client {
  /**
   * The egress policy of a client namespace: the first message at once, then the whole policy again
   * whenever it changes.
   */
  Watch(argument: _weir_egress_v1_EgressWatch, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_egress_v1_EgressPolicy__Output>;
  Watch(argument: _weir_egress_v1_EgressWatch, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_egress_v1_EgressPolicy__Output>;
  /**
   * The egress policy of a client namespace: the first message at once, then the whole policy again
   * whenever it changes.
   */
  watch(argument: _weir_egress_v1_EgressWatch, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_egress_v1_EgressPolicy__Output>;
  watch(argument: _weir_egress_v1_EgressWatch, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_egress_v1_EgressPolicy__Output>;
  
}

export interface EgressPoliciesHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The egress policy of a client namespace: the first message at once, then the whole policy again
   * whenever it changes.
   */
  Watch: grpc.handleServerStreamingCall<_weir_egress_v1_EgressWatch__Output, _weir_egress_v1_EgressPolicy>;
  
}

export interface EgressPoliciesDefinition extends grpc.ServiceDefinition {
  Watch: MethodDefinition<_weir_egress_v1_EgressWatch, _weir_egress_v1_EgressPolicy, _weir_egress_v1_EgressWatch__Output, _weir_egress_v1_EgressPolicy__Output>
}
