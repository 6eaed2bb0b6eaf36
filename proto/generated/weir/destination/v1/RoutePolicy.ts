// Original file: proto/destination.proto

import type { Resource as _weir_destination_v1_Resource, Resource__Output as _weir_destination_v1_Resource__Output } from '../../../weir/destination/v1/Resource.js';

export interface RoutePolicy {
  /**
   * HTTPRoutes whose parentRefs name this Service port, in any namespace (the client applies GAMMA's
   * producer/consumer rule for its own namespace)
   */
  'httpRoutes'?: (_weir_destination_v1_Resource)[];
  'grpcRoutes'?: (_weir_destination_v1_Resource)[];
}

export interface RoutePolicy__Output {
  /**
   * HTTPRoutes whose parentRefs name this Service port, in any namespace (the client applies GAMMA's
   * producer/consumer rule for its own namespace)
   */
  'httpRoutes': (_weir_destination_v1_Resource__Output)[];
  'grpcRoutes': (_weir_destination_v1_Resource__Output)[];
}
