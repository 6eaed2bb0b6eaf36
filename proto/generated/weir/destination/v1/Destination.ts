// Original file: proto/destination.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetDestination as _weir_destination_v1_GetDestination, GetDestination__Output as _weir_destination_v1_GetDestination__Output } from '../../../weir/destination/v1/GetDestination.js';
import type { ServiceList as _weir_destination_v1_ServiceList, ServiceList__Output as _weir_destination_v1_ServiceList__Output } from '../../../weir/destination/v1/ServiceList.js';
import type { Update as _weir_destination_v1_Update, Update__Output as _weir_destination_v1_Update__Output } from '../../../weir/destination/v1/Update.js';
import type { WatchServicesRequest as _weir_destination_v1_WatchServicesRequest, WatchServicesRequest__Output as _weir_destination_v1_WatchServicesRequest__Output } from '../../../weir/destination/v1/WatchServicesRequest.js';

export interface DestinationClient extends grpc.Client {
  /**
   * The endpoints and the route policy of one Service port, the authority
   * `svc.ns.svc.cluster.local:port` in `GetDestination.path`. The first messages are the route policy
   * and the whole endpoint set (`add`, or `no_endpoints`); then `add`/`remove` diffs of the endpoint set
   * and a new `route_policy` whenever the routes attached to the port change.
   * An authority that is not a Service port of the mesh: one `no_endpoints{exists: false}`, then
   * updates as it appears.
   */
  Get(argument: _weir_destination_v1_GetDestination, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_Update__Output>;
  Get(argument: _weir_destination_v1_GetDestination, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_Update__Output>;
  /**
   * The endpoints and the route policy of one Service port, the authority
   * `svc.ns.svc.cluster.local:port` in `GetDestination.path`. The first messages are the route policy
   * and the whole endpoint set (`add`, or `no_endpoints`); then `add`/`remove` diffs of the endpoint set
   * and a new `route_policy` whenever the routes attached to the port change.
   * An authority that is not a Service port of the mesh: one `no_endpoints{exists: false}`, then
   * updates as it appears.
   */
  get(argument: _weir_destination_v1_GetDestination, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_Update__Output>;
  get(argument: _weir_destination_v1_GetDestination, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_Update__Output>;
  
  /**
   * Weir's own: the Services of the mesh, which the outbound side listens for (one listener per
   * Service port; a proxy then calls `Get` for each port's authority). Each message is the whole list
   * and replaces the previous one; the first is sent at once, later ones when the list changes.
   */
  WatchServices(argument: _weir_destination_v1_WatchServicesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_ServiceList__Output>;
  WatchServices(argument: _weir_destination_v1_WatchServicesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_ServiceList__Output>;
  /**
   * Weir's own: the Services of the mesh, which the outbound side listens for (one listener per
   * Service port; a proxy then calls `Get` for each port's authority). Each message is the whole list
   * and replaces the previous one; the first is sent at once, later ones when the list changes.
   */
  watchServices(argument: _weir_destination_v1_WatchServicesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_ServiceList__Output>;
  watchServices(argument: _weir_destination_v1_WatchServicesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_weir_destination_v1_ServiceList__Output>;
  
}

export interface DestinationHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The endpoints and the route policy of one Service port, the authority
   * `svc.ns.svc.cluster.local:port` in `GetDestination.path`. The first messages are the route policy
   * and the whole endpoint set (`add`, or `no_endpoints`); then `add`/`remove` diffs of the endpoint set
   * and a new `route_policy` whenever the routes attached to the port change.
   * An authority that is not a Service port of the mesh: one `no_endpoints{exists: false}`, then
   * updates as it appears.
   */
  Get: grpc.handleServerStreamingCall<_weir_destination_v1_GetDestination__Output, _weir_destination_v1_Update>;
  
  /**
   * Weir's own: the Services of the mesh, which the outbound side listens for (one listener per
   * Service port; a proxy then calls `Get` for each port's authority). Each message is the whole list
   * and replaces the previous one; the first is sent at once, later ones when the list changes.
   */
  WatchServices: grpc.handleServerStreamingCall<_weir_destination_v1_WatchServicesRequest__Output, _weir_destination_v1_ServiceList>;
  
}

export interface DestinationDefinition extends grpc.ServiceDefinition {
  Get: MethodDefinition<_weir_destination_v1_GetDestination, _weir_destination_v1_Update, _weir_destination_v1_GetDestination__Output, _weir_destination_v1_Update__Output>
  WatchServices: MethodDefinition<_weir_destination_v1_WatchServicesRequest, _weir_destination_v1_ServiceList, _weir_destination_v1_WatchServicesRequest__Output, _weir_destination_v1_ServiceList__Output>
}
