// Original file: proto/destination.proto

import type { WeightedAddr as _weir_destination_v1_WeightedAddr, WeightedAddr__Output as _weir_destination_v1_WeightedAddr__Output } from '../../../weir/destination/v1/WeightedAddr.js';

export interface WeightedAddrSet {
  'addrs'?: (_weir_destination_v1_WeightedAddr)[];
  /**
   * labels of the Service port, for every endpoint: `namespace`, `service`, `port` (and `port_name`)
   */
  'metricLabels'?: ({[key: string]: string});
}

export interface WeightedAddrSet__Output {
  'addrs': (_weir_destination_v1_WeightedAddr__Output)[];
  /**
   * labels of the Service port, for every endpoint: `namespace`, `service`, `port` (and `port_name`)
   */
  'metricLabels': ({[key: string]: string});
}
