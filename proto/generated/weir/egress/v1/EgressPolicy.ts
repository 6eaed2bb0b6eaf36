// Original file: proto/egress.proto

import type { Resource as _weir_destination_v1_Resource, Resource__Output as _weir_destination_v1_Resource__Output } from '../../../weir/destination/v1/Resource.js';

export interface EgressPolicy {
  /**
   * the global egress namespace (Linkerd's `linkerd-egress`): its EgressNetworks apply to clients of
   * every namespace that has none of its own
   */
  'globalNamespace'?: (string);
  /**
   * EgressNetworks of the client's namespace and of the global egress namespace (the client picks)
   */
  'egressNetworks'?: (_weir_destination_v1_Resource)[];
  /**
   * routes whose parentRefs name one of those EgressNetworks: HTTPRoute, TCPRoute, TLSRoute, as the
   * mesh holds them (Kubernetes JSON, validated by the client with the same schemas as a manifest)
   */
  'httpRoutes'?: (_weir_destination_v1_Resource)[];
  'tcpRoutes'?: (_weir_destination_v1_Resource)[];
  'tlsRoutes'?: (_weir_destination_v1_Resource)[];
}

export interface EgressPolicy__Output {
  /**
   * the global egress namespace (Linkerd's `linkerd-egress`): its EgressNetworks apply to clients of
   * every namespace that has none of its own
   */
  'globalNamespace': (string);
  /**
   * EgressNetworks of the client's namespace and of the global egress namespace (the client picks)
   */
  'egressNetworks': (_weir_destination_v1_Resource__Output)[];
  /**
   * routes whose parentRefs name one of those EgressNetworks: HTTPRoute, TCPRoute, TLSRoute, as the
   * mesh holds them (Kubernetes JSON, validated by the client with the same schemas as a manifest)
   */
  'httpRoutes': (_weir_destination_v1_Resource__Output)[];
  'tcpRoutes': (_weir_destination_v1_Resource__Output)[];
  'tlsRoutes': (_weir_destination_v1_Resource__Output)[];
}
