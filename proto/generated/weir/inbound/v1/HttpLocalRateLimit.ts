// Original file: proto/inbound.proto


export interface _weir_inbound_v1_HttpLocalRateLimit_Override {
  'requestsPerSecond'?: (number);
  'identities'?: (string)[];
}

export interface _weir_inbound_v1_HttpLocalRateLimit_Override__Output {
  'requestsPerSecond': (number);
  'identities': (string)[];
}

export interface HttpLocalRateLimit {
  'labels'?: ({[key: string]: string});
  /**
   * requests per second; 0: no limit
   */
  'total'?: (number);
  'identity'?: (number);
  'overrides'?: (_weir_inbound_v1_HttpLocalRateLimit_Override)[];
}

export interface HttpLocalRateLimit__Output {
  'labels': ({[key: string]: string});
  /**
   * requests per second; 0: no limit
   */
  'total': (number);
  'identity': (number);
  'overrides': (_weir_inbound_v1_HttpLocalRateLimit_Override__Output)[];
}
