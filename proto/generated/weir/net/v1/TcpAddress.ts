// Original file: proto/net.proto

import type { IPAddress as _weir_net_v1_IPAddress, IPAddress__Output as _weir_net_v1_IPAddress__Output } from '../../../weir/net/v1/IPAddress.js';

export interface TcpAddress {
  'ip'?: (_weir_net_v1_IPAddress | null);
  'port'?: (number);
}

export interface TcpAddress__Output {
  'ip': (_weir_net_v1_IPAddress__Output | null);
  'port': (number);
}
