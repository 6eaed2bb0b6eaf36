// Original file: proto/inbound.proto

import type { ProxyProtocol as _weir_inbound_v1_ProxyProtocol, ProxyProtocol__Output as _weir_inbound_v1_ProxyProtocol__Output } from '../../../weir/inbound/v1/ProxyProtocol.js';
import type { Authz as _weir_inbound_v1_Authz, Authz__Output as _weir_inbound_v1_Authz__Output } from '../../../weir/inbound/v1/Authz.js';
import type { HttpRoute as _weir_inbound_v1_HttpRoute, HttpRoute__Output as _weir_inbound_v1_HttpRoute__Output } from '../../../weir/inbound/v1/HttpRoute.js';
import type { HttpLocalRateLimit as _weir_inbound_v1_HttpLocalRateLimit, HttpLocalRateLimit__Output as _weir_inbound_v1_HttpLocalRateLimit__Output } from '../../../weir/inbound/v1/HttpLocalRateLimit.js';

export interface Server {
  'protocol'?: (_weir_inbound_v1_ProxyProtocol | null);
  /**
   * server-wide authorizations, tried in order: the first that admits the client decides
   */
  'authorizations'?: (_weir_inbound_v1_Authz)[];
  /**
   * about the policy: `group`, `kind`, `name` of the resource it comes from
   */
  'labels'?: ({[key: string]: string});
  /**
   * HTTPRoutes parented to the Server (Linkerd carries them in the protocol; here beside it): when any,
   * a request is authorized by the first route that matches it, and one matching none is answered 404
   */
  'httpRoutes'?: (_weir_inbound_v1_HttpRoute)[];
  /**
   * HTTPLocalRateLimitPolicy targeting the Server
   */
  'localRateLimit'?: (_weir_inbound_v1_HttpLocalRateLimit | null);
}

export interface Server__Output {
  'protocol': (_weir_inbound_v1_ProxyProtocol__Output | null);
  /**
   * server-wide authorizations, tried in order: the first that admits the client decides
   */
  'authorizations': (_weir_inbound_v1_Authz__Output)[];
  /**
   * about the policy: `group`, `kind`, `name` of the resource it comes from
   */
  'labels': ({[key: string]: string});
  /**
   * HTTPRoutes parented to the Server (Linkerd carries them in the protocol; here beside it): when any,
   * a request is authorized by the first route that matches it, and one matching none is answered 404
   */
  'httpRoutes': (_weir_inbound_v1_HttpRoute__Output)[];
  /**
   * HTTPLocalRateLimitPolicy targeting the Server
   */
  'localRateLimit': (_weir_inbound_v1_HttpLocalRateLimit__Output | null);
}
