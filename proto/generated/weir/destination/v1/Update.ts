// Original file: proto/destination.proto

import type { WeightedAddrSet as _weir_destination_v1_WeightedAddrSet, WeightedAddrSet__Output as _weir_destination_v1_WeightedAddrSet__Output } from '../../../weir/destination/v1/WeightedAddrSet.js';
import type { AddrSet as _weir_destination_v1_AddrSet, AddrSet__Output as _weir_destination_v1_AddrSet__Output } from '../../../weir/destination/v1/AddrSet.js';
import type { NoEndpoints as _weir_destination_v1_NoEndpoints, NoEndpoints__Output as _weir_destination_v1_NoEndpoints__Output } from '../../../weir/destination/v1/NoEndpoints.js';
import type { RoutePolicy as _weir_destination_v1_RoutePolicy, RoutePolicy__Output as _weir_destination_v1_RoutePolicy__Output } from '../../../weir/destination/v1/RoutePolicy.js';

export interface Update {
  /**
   * endpoints added to the set (on a new stream: the whole set)
   */
  'add'?: (_weir_destination_v1_WeightedAddrSet | null);
  /**
   * endpoints gone from the set
   */
  'remove'?: (_weir_destination_v1_AddrSet | null);
  /**
   * the set is empty; `exists` says whether the Service port exists at all
   */
  'noEndpoints'?: (_weir_destination_v1_NoEndpoints | null);
  /**
   * Weir's own: the routes attached to this Service port (replaces the previous ones)
   */
  'routePolicy'?: (_weir_destination_v1_RoutePolicy | null);
  'update'?: "add"|"remove"|"noEndpoints"|"routePolicy";
}

export interface Update__Output {
  /**
   * endpoints added to the set (on a new stream: the whole set)
   */
  'add'?: (_weir_destination_v1_WeightedAddrSet__Output | null);
  /**
   * endpoints gone from the set
   */
  'remove'?: (_weir_destination_v1_AddrSet__Output | null);
  /**
   * the set is empty; `exists` says whether the Service port exists at all
   */
  'noEndpoints'?: (_weir_destination_v1_NoEndpoints__Output | null);
  /**
   * Weir's own: the routes attached to this Service port (replaces the previous ones)
   */
  'routePolicy'?: (_weir_destination_v1_RoutePolicy__Output | null);
  'update'?: "add"|"remove"|"noEndpoints"|"routePolicy";
}
