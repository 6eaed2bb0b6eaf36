// Original file: proto/destination.proto

import type { Resource as _weir_destination_v1_Resource, Resource__Output as _weir_destination_v1_Resource__Output } from '../../../weir/destination/v1/Resource.js';

export interface ServiceList {
  /**
   * core/v1 Services; `spec.clusterIP` holds a loopback stand-in for a cluster IP when the Service has one
   */
  'services'?: (_weir_destination_v1_Resource)[];
}

export interface ServiceList__Output {
  /**
   * core/v1 Services; `spec.clusterIP` holds a loopback stand-in for a cluster IP when the Service has one
   */
  'services': (_weir_destination_v1_Resource__Output)[];
}
