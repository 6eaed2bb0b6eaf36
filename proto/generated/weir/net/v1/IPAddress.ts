// Original file: proto/net.proto

import type { IPv6 as _weir_net_v1_IPv6, IPv6__Output as _weir_net_v1_IPv6__Output } from '../../../weir/net/v1/IPv6.js';

export interface IPAddress {
  'ipv4'?: (number);
  'ipv6'?: (_weir_net_v1_IPv6 | null);
  'ip'?: "ipv4"|"ipv6";
}

export interface IPAddress__Output {
  'ipv4'?: (number);
  'ipv6'?: (_weir_net_v1_IPv6__Output | null);
  'ip'?: "ipv4"|"ipv6";
}
