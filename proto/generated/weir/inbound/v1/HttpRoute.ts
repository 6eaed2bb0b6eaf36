// Original file: proto/inbound.proto

import type { Authz as _weir_inbound_v1_Authz, Authz__Output as _weir_inbound_v1_Authz__Output } from '../../../weir/inbound/v1/Authz.js';

export interface HttpRoute {
  /**
   * `group`, `kind`, `name` of the HTTPRoute (`route_*` metric labels)
   */
  'labels'?: ({[key: string]: string});
  /**
   * the Gateway API `matches` of its rules, JSON (validated by the engine's HTTPRoute schema on arrival)
   */
  'matchesJson'?: (string);
  'authorizations'?: (_weir_inbound_v1_Authz)[];
}

export interface HttpRoute__Output {
  /**
   * `group`, `kind`, `name` of the HTTPRoute (`route_*` metric labels)
   */
  'labels': ({[key: string]: string});
  /**
   * the Gateway API `matches` of its rules, JSON (validated by the engine's HTTPRoute schema on arrival)
   */
  'matchesJson': (string);
  'authorizations': (_weir_inbound_v1_Authz__Output)[];
}
