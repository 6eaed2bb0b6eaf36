import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { IPAddress as _weir_net_v1_IPAddress, IPAddress__Output as _weir_net_v1_IPAddress__Output } from './weir/net/v1/IPAddress.js';
import type { IPv6 as _weir_net_v1_IPv6, IPv6__Output as _weir_net_v1_IPv6__Output } from './weir/net/v1/IPv6.js';
import type { TcpAddress as _weir_net_v1_TcpAddress, TcpAddress__Output as _weir_net_v1_TcpAddress__Output } from './weir/net/v1/TcpAddress.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  weir: {
    net: {
      v1: {
        IPAddress: MessageTypeDefinition<_weir_net_v1_IPAddress, _weir_net_v1_IPAddress__Output>
        IPv6: MessageTypeDefinition<_weir_net_v1_IPv6, _weir_net_v1_IPv6__Output>
        TcpAddress: MessageTypeDefinition<_weir_net_v1_TcpAddress, _weir_net_v1_TcpAddress__Output>
      }
    }
  }
}

