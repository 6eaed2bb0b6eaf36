import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddrSet as _weir_destination_v1_AddrSet, AddrSet__Output as _weir_destination_v1_AddrSet__Output } from './weir/destination/v1/AddrSet.js';
import type { DestinationClient as _weir_destination_v1_DestinationClient, DestinationDefinition as _weir_destination_v1_DestinationDefinition } from './weir/destination/v1/Destination.js';
import type { GetDestination as _weir_destination_v1_GetDestination, GetDestination__Output as _weir_destination_v1_GetDestination__Output } from './weir/destination/v1/GetDestination.js';
import type { NoEndpoints as _weir_destination_v1_NoEndpoints, NoEndpoints__Output as _weir_destination_v1_NoEndpoints__Output } from './weir/destination/v1/NoEndpoints.js';
import type { ProtocolHint as _weir_destination_v1_ProtocolHint, ProtocolHint__Output as _weir_destination_v1_ProtocolHint__Output } from './weir/destination/v1/ProtocolHint.js';
import type { Resource as _weir_destination_v1_Resource, Resource__Output as _weir_destination_v1_Resource__Output } from './weir/destination/v1/Resource.js';
import type { RoutePolicy as _weir_destination_v1_RoutePolicy, RoutePolicy__Output as _weir_destination_v1_RoutePolicy__Output } from './weir/destination/v1/RoutePolicy.js';
import type { ServiceList as _weir_destination_v1_ServiceList, ServiceList__Output as _weir_destination_v1_ServiceList__Output } from './weir/destination/v1/ServiceList.js';
import type { TlsIdentity as _weir_destination_v1_TlsIdentity, TlsIdentity__Output as _weir_destination_v1_TlsIdentity__Output } from './weir/destination/v1/TlsIdentity.js';
import type { Update as _weir_destination_v1_Update, Update__Output as _weir_destination_v1_Update__Output } from './weir/destination/v1/Update.js';
import type { WatchServicesRequest as _weir_destination_v1_WatchServicesRequest, WatchServicesRequest__Output as _weir_destination_v1_WatchServicesRequest__Output } from './weir/destination/v1/WatchServicesRequest.js';
import type { WeightedAddr as _weir_destination_v1_WeightedAddr, WeightedAddr__Output as _weir_destination_v1_WeightedAddr__Output } from './weir/destination/v1/WeightedAddr.js';
import type { WeightedAddrSet as _weir_destination_v1_WeightedAddrSet, WeightedAddrSet__Output as _weir_destination_v1_WeightedAddrSet__Output } from './weir/destination/v1/WeightedAddrSet.js';
import type { EgressPoliciesClient as _weir_egress_v1_EgressPoliciesClient, EgressPoliciesDefinition as _weir_egress_v1_EgressPoliciesDefinition } from './weir/egress/v1/EgressPolicies.js';
import type { EgressPolicy as _weir_egress_v1_EgressPolicy, EgressPolicy__Output as _weir_egress_v1_EgressPolicy__Output } from './weir/egress/v1/EgressPolicy.js';
import type { EgressWatch as _weir_egress_v1_EgressWatch, EgressWatch__Output as _weir_egress_v1_EgressWatch__Output } from './weir/egress/v1/EgressWatch.js';
import type { IPAddress as _weir_net_v1_IPAddress, IPAddress__Output as _weir_net_v1_IPAddress__Output } from './weir/net/v1/IPAddress.js';
import type { IPv6 as _weir_net_v1_IPv6, IPv6__Output as _weir_net_v1_IPv6__Output } from './weir/net/v1/IPv6.js';
import type { TcpAddress as _weir_net_v1_TcpAddress, TcpAddress__Output as _weir_net_v1_TcpAddress__Output } from './weir/net/v1/TcpAddress.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  weir: {
    destination: {
      v1: {
        AddrSet: MessageTypeDefinition<_weir_destination_v1_AddrSet, _weir_destination_v1_AddrSet__Output>
        Destination: SubtypeConstructor<typeof grpc.Client, _weir_destination_v1_DestinationClient> & { service: _weir_destination_v1_DestinationDefinition }
        GetDestination: MessageTypeDefinition<_weir_destination_v1_GetDestination, _weir_destination_v1_GetDestination__Output>
        NoEndpoints: MessageTypeDefinition<_weir_destination_v1_NoEndpoints, _weir_destination_v1_NoEndpoints__Output>
        ProtocolHint: MessageTypeDefinition<_weir_destination_v1_ProtocolHint, _weir_destination_v1_ProtocolHint__Output>
        Resource: MessageTypeDefinition<_weir_destination_v1_Resource, _weir_destination_v1_Resource__Output>
        RoutePolicy: MessageTypeDefinition<_weir_destination_v1_RoutePolicy, _weir_destination_v1_RoutePolicy__Output>
        ServiceList: MessageTypeDefinition<_weir_destination_v1_ServiceList, _weir_destination_v1_ServiceList__Output>
        TlsIdentity: MessageTypeDefinition<_weir_destination_v1_TlsIdentity, _weir_destination_v1_TlsIdentity__Output>
        Update: MessageTypeDefinition<_weir_destination_v1_Update, _weir_destination_v1_Update__Output>
        WatchServicesRequest: MessageTypeDefinition<_weir_destination_v1_WatchServicesRequest, _weir_destination_v1_WatchServicesRequest__Output>
        WeightedAddr: MessageTypeDefinition<_weir_destination_v1_WeightedAddr, _weir_destination_v1_WeightedAddr__Output>
        WeightedAddrSet: MessageTypeDefinition<_weir_destination_v1_WeightedAddrSet, _weir_destination_v1_WeightedAddrSet__Output>
      }
    }
    egress: {
      v1: {
        EgressPolicies: SubtypeConstructor<typeof grpc.Client, _weir_egress_v1_EgressPoliciesClient> & { service: _weir_egress_v1_EgressPoliciesDefinition }
        EgressPolicy: MessageTypeDefinition<_weir_egress_v1_EgressPolicy, _weir_egress_v1_EgressPolicy__Output>
        EgressWatch: MessageTypeDefinition<_weir_egress_v1_EgressWatch, _weir_egress_v1_EgressWatch__Output>
      }
    }
    net: {
      v1: {
        IPAddress: MessageTypeDefinition<_weir_net_v1_IPAddress, _weir_net_v1_IPAddress__Output>
        IPv6: MessageTypeDefinition<_weir_net_v1_IPv6, _weir_net_v1_IPv6__Output>
        TcpAddress: MessageTypeDefinition<_weir_net_v1_TcpAddress, _weir_net_v1_TcpAddress__Output>
      }
    }
  }
}

