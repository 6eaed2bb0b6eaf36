import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ProtoGrpcType as DestinationProto } from './generated/destination.js';
import type { ProtoGrpcType as EgressProto } from './generated/egress.js';
import type { ProtoGrpcType as IdentityProto } from './generated/identity.js';
import type { ProtoGrpcType as InboundProto } from './generated/inbound.js';

/** the options `npm run proto:gen` generated the types with: both must agree */
const LOADER_OPTIONS: Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

/**
 * The folder of the `.proto` files: next to this module when it runs from the sources (tsx, vitest);
 * compiled (tsc does not copy `.proto` files), the `proto/` folder of the nearest ancestor that has one
 * (`dist/proto/` -> `proto/`, `bench/.build/proto/` -> `proto/`).
 */
export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'destination.proto'))) return here;
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'destination.proto'))) return join(dir, 'proto');
    if (dirname(dir) === dir) break;
  }
  throw new Error(`the .proto files are neither in ${here} nor in a proto/ folder above it`);
}

let loaded: (DestinationProto & IdentityProto & InboundProto & EgressProto)['weir'] | undefined;

/** The Weir gRPC API (`weir.destination.v1`, `weir.inbound.v1`, `weir.identity.v1`, `weir.egress.v1`), loaded once. */
export function weirApi(): (DestinationProto & IdentityProto & InboundProto & EgressProto)['weir'] {
  if (loaded === undefined) {
    const definition = loadSync(['destination.proto', 'inbound.proto', 'identity.proto', 'egress.proto'], {
      ...LOADER_OPTIONS,
      includeDirs: [protoDir()],
    });
    const root = loadPackageDefinition(definition) as unknown as DestinationProto &
      IdentityProto &
      InboundProto &
      EgressProto;
    loaded = root.weir;
  }
  return loaded;
}
