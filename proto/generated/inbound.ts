import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Authn as _weir_inbound_v1_Authn, Authn__Output as _weir_inbound_v1_Authn__Output } from './weir/inbound/v1/Authn.js';
import type { Authz as _weir_inbound_v1_Authz, Authz__Output as _weir_inbound_v1_Authz__Output } from './weir/inbound/v1/Authz.js';
import type { HttpLocalRateLimit as _weir_inbound_v1_HttpLocalRateLimit, HttpLocalRateLimit__Output as _weir_inbound_v1_HttpLocalRateLimit__Output } from './weir/inbound/v1/HttpLocalRateLimit.js';
import type { HttpRoute as _weir_inbound_v1_HttpRoute, HttpRoute__Output as _weir_inbound_v1_HttpRoute__Output } from './weir/inbound/v1/HttpRoute.js';
import type { InboundServerPoliciesClient as _weir_inbound_v1_InboundServerPoliciesClient, InboundServerPoliciesDefinition as _weir_inbound_v1_InboundServerPoliciesDefinition } from './weir/inbound/v1/InboundServerPolicies.js';
import type { Network as _weir_inbound_v1_Network, Network__Output as _weir_inbound_v1_Network__Output } from './weir/inbound/v1/Network.js';
import type { PortSpec as _weir_inbound_v1_PortSpec, PortSpec__Output as _weir_inbound_v1_PortSpec__Output } from './weir/inbound/v1/PortSpec.js';
import type { ProxyProtocol as _weir_inbound_v1_ProxyProtocol, ProxyProtocol__Output as _weir_inbound_v1_ProxyProtocol__Output } from './weir/inbound/v1/ProxyProtocol.js';
import type { Server as _weir_inbound_v1_Server, Server__Output as _weir_inbound_v1_Server__Output } from './weir/inbound/v1/Server.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  weir: {
    inbound: {
      v1: {
        Authn: MessageTypeDefinition<_weir_inbound_v1_Authn, _weir_inbound_v1_Authn__Output>
        Authz: MessageTypeDefinition<_weir_inbound_v1_Authz, _weir_inbound_v1_Authz__Output>
        HttpLocalRateLimit: MessageTypeDefinition<_weir_inbound_v1_HttpLocalRateLimit, _weir_inbound_v1_HttpLocalRateLimit__Output>
        HttpRoute: MessageTypeDefinition<_weir_inbound_v1_HttpRoute, _weir_inbound_v1_HttpRoute__Output>
        InboundServerPolicies: SubtypeConstructor<typeof grpc.Client, _weir_inbound_v1_InboundServerPoliciesClient> & { service: _weir_inbound_v1_InboundServerPoliciesDefinition }
        Network: MessageTypeDefinition<_weir_inbound_v1_Network, _weir_inbound_v1_Network__Output>
        PortSpec: MessageTypeDefinition<_weir_inbound_v1_PortSpec, _weir_inbound_v1_PortSpec__Output>
        ProxyProtocol: MessageTypeDefinition<_weir_inbound_v1_ProxyProtocol, _weir_inbound_v1_ProxyProtocol__Output>
        Server: MessageTypeDefinition<_weir_inbound_v1_Server, _weir_inbound_v1_Server__Output>
      }
    }
  }
}

