// Original file: proto/destination.proto

import type { TcpAddress as _weir_net_v1_TcpAddress, TcpAddress__Output as _weir_net_v1_TcpAddress__Output } from '../../../weir/net/v1/TcpAddress.js';
import type { TlsIdentity as _weir_destination_v1_TlsIdentity, TlsIdentity__Output as _weir_destination_v1_TlsIdentity__Output } from '../../../weir/destination/v1/TlsIdentity.js';
import type { ProtocolHint as _weir_destination_v1_ProtocolHint, ProtocolHint__Output as _weir_destination_v1_ProtocolHint__Output } from '../../../weir/destination/v1/ProtocolHint.js';

export interface WeightedAddr {
  'addr'?: (_weir_net_v1_TcpAddress | null);
  /**
   * 10000 for every endpoint today, as Linkerd's default
   */
  'weight'?: (number);
  /**
   * `pod`, `namespace`, `deployment` when the endpoint is a Pod the mesh knows
   */
  'metricLabels'?: ({[key: string]: string});
  /**
   * the identity the endpoint's sidecar proves; unset: plaintext
   */
  'tlsIdentity'?: (_weir_destination_v1_TlsIdentity | null);
  'protocolHint'?: (_weir_destination_v1_ProtocolHint | null);
}

export interface WeightedAddr__Output {
  'addr': (_weir_net_v1_TcpAddress__Output | null);
  /**
   * 10000 for every endpoint today, as Linkerd's default
   */
  'weight': (number);
  /**
   * `pod`, `namespace`, `deployment` when the endpoint is a Pod the mesh knows
   */
  'metricLabels': ({[key: string]: string});
  /**
   * the identity the endpoint's sidecar proves; unset: plaintext
   */
  'tlsIdentity': (_weir_destination_v1_TlsIdentity__Output | null);
  'protocolHint': (_weir_destination_v1_ProtocolHint__Output | null);
}
