// Original file: proto/inbound.proto

import type { Network as _weir_inbound_v1_Network, Network__Output as _weir_inbound_v1_Network__Output } from '../../../weir/inbound/v1/Network.js';
import type { Authn as _weir_inbound_v1_Authn, Authn__Output as _weir_inbound_v1_Authn__Output } from '../../../weir/inbound/v1/Authn.js';

export interface Authz {
  'networks'?: (_weir_inbound_v1_Network)[];
  'authentication'?: (_weir_inbound_v1_Authn | null);
  'labels'?: ({[key: string]: string});
  /**
   * only GET requests to these paths (the probe rule); empty: every request
   */
  'paths'?: (string)[];
  /**
   * admitted, but counted and logged as a request the policy would deny (`audit`)
   */
  'audit'?: (boolean);
}

export interface Authz__Output {
  'networks': (_weir_inbound_v1_Network__Output)[];
  'authentication': (_weir_inbound_v1_Authn__Output | null);
  'labels': ({[key: string]: string});
  /**
   * only GET requests to these paths (the probe rule); empty: every request
   */
  'paths': (string)[];
  /**
   * admitted, but counted and logged as a request the policy would deny (`audit`)
   */
  'audit': (boolean);
}
