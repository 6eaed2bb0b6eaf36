// Original file: proto/inbound.proto


export interface Network {
  /**
   * a CIDR
   */
  'net'?: (string);
  'except'?: (string)[];
}

export interface Network__Output {
  /**
   * a CIDR
   */
  'net': (string);
  'except': (string)[];
}
