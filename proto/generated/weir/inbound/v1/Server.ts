// Original file: proto/inbound.proto

import type { ProxyProtocol as _weir_inbound_v1_ProxyProtocol, ProxyProtocol__Output as _weir_inbound_v1_ProxyProtocol__Output } from '../../../weir/inbound/v1/ProxyProtocol.js';
import type { Authz as _weir_inbound_v1_Authz, Authz__Output as _weir_inbound_v1_Authz__Output } from '../../../weir/inbound/v1/Authz.js';

export interface Server {
  'protocol'?: (_weir_inbound_v1_ProxyProtocol | null);
  'authorizations'?: (_weir_inbound_v1_Authz)[];
  /**
   * about the policy: `group`, `kind`, `name` of the resource it comes from
   */
  'labels'?: ({[key: string]: string});
}

export interface Server__Output {
  'protocol': (_weir_inbound_v1_ProxyProtocol__Output | null);
  'authorizations': (_weir_inbound_v1_Authz__Output)[];
  /**
   * about the policy: `group`, `kind`, `name` of the resource it comes from
   */
  'labels': ({[key: string]: string});
}
