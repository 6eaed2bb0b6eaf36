// Original file: proto/destination.proto

import type { TcpAddress as _weir_net_v1_TcpAddress, TcpAddress__Output as _weir_net_v1_TcpAddress__Output } from '../../../weir/net/v1/TcpAddress.js';

export interface AddrSet {
  'addrs'?: (_weir_net_v1_TcpAddress)[];
}

export interface AddrSet__Output {
  'addrs': (_weir_net_v1_TcpAddress__Output)[];
}
