import { credentials, type ChannelOptions } from '@grpc/grpc-js';
import type { DestinationClient } from '../../proto/generated/weir/destination/v1/Destination.js';
import type { IdentityClient } from '../../proto/generated/weir/identity/v1/Identity.js';
import type { InboundServerPoliciesClient } from '../../proto/generated/weir/inbound/v1/InboundServerPolicies.js';
import { weirApi } from '../../proto/load.js';

/** the channel's own reconnection follows the same bounds as the watches' backoff */
export function channelOptions(minMs = 100, maxMs = 10_000): ChannelOptions {
  return {
    'grpc.initial_reconnect_backoff_ms': minMs,
    'grpc.min_reconnect_backoff_ms': minMs,
    'grpc.max_reconnect_backoff_ms': maxMs,
    // updates may be large (a Services list of a big mesh)
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  };
}

/** `host:port` of the control plane: checked once, where it is given */
export function checkAddress(address: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535)
    return `expected HOST:PORT (for example 127.0.0.1:8086), got ${JSON.stringify(address)}`;
  return undefined;
}

export function destinationClient(address: string, options: ChannelOptions = channelOptions()): DestinationClient {
  return new (weirApi().destination.v1.Destination)(address, credentials.createInsecure(), options);
}

export function inboundPolicyClient(
  address: string,
  options: ChannelOptions = channelOptions(),
): InboundServerPoliciesClient {
  return new (weirApi().inbound.v1.InboundServerPolicies)(address, credentials.createInsecure(), options);
}

export function identityClient(address: string, options: ChannelOptions = channelOptions()): IdentityClient {
  return new (weirApi().identity.v1.Identity)(address, credentials.createInsecure(), options);
}
