// Original file: proto/net.proto

import type { Long } from '@grpc/proto-loader';

export interface IPv6 {
  /**
   * the first 8 bytes, big-endian
   */
  'first'?: (number | string | Long);
  /**
   * the last 8 bytes, big-endian
   */
  'last'?: (number | string | Long);
}

export interface IPv6__Output {
  /**
   * the first 8 bytes, big-endian
   */
  'first': (string);
  /**
   * the last 8 bytes, big-endian
   */
  'last': (string);
}
