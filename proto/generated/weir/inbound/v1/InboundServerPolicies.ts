// Original file: proto/inbound.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { PortSpec as _weir_inbound_v1_PortSpec, PortSpec__Output as _weir_inbound_v1_PortSpec__Output } from '../../../weir/inbound/v1/PortSpec.js';
import type { Server as _weir_inbound_v1_Server, Server__Output as _weir_inbound_v1_Server__Output } from '../../../weir/inbound/v1/Server.js';

export interface InboundServerPoliciesClient extends grpc.Client {
  /**
   * The policy of one port of a workload: the whole policy first, then again whenever it changes.
   */
  WatchPort(argument: _weir_inbound_v1_PortSpec, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_inbound_v1_Server__Output>;
  WatchPort(argument: _weir_inbound_v1_PortSpec, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_inbound_v1_Server__Output>;
  /**
   * The policy of one port of a workload: the whole policy first, then again whenever it changes.
   */
  watchPort(argument: _weir_inbound_v1_PortSpec, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_inbound_v1_Server__Output>;
  watchPort(argument: _weir_inbound_v1_PortSpec, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_inbound_v1_Server__Output>;
  
}

export interface InboundServerPoliciesHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The policy of one port of a workload: the whole policy first, then again whenever it changes.
   */
  WatchPort: grpc.handleServerStreamingCall<_weir_inbound_v1_PortSpec__Output, _weir_inbound_v1_Server>;
  
}

export interface InboundServerPoliciesDefinition extends grpc.ServiceDefinition {
  WatchPort: MethodDefinition<_weir_inbound_v1_PortSpec, _weir_inbound_v1_Server, _weir_inbound_v1_PortSpec__Output, _weir_inbound_v1_Server__Output>
}
