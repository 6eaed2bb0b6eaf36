import type { IncomingHttpHeaders } from 'node:http2';

/** gRPC status codes the proxy uses (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC_OK = 0;
export const GRPC_UNKNOWN = 2;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_PERMISSION_DENIED = 7;
export const GRPC_RESOURCE_EXHAUSTED = 8;
export const GRPC_UNIMPLEMENTED = 12;
export const GRPC_INTERNAL = 13;
export const GRPC_UNAVAILABLE = 14;

/** A gRPC request: `content-type: application/grpc` (or `application/grpc+proto`, `;...`). */
export function isGrpc(headers: IncomingHttpHeaders): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
}

/**
 * The gRPC status for an error the proxy answers itself, from the HTTP status it would answer with
 * (errors.ts): Linkerd's table (linkerd.md 1.12), with Gateway API's choices for GRPCRoute: no matching
 * route is UNIMPLEMENTED, an unusable backend UNAVAILABLE (gateway-api.md 2.8).
 */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC_INTERNAL;
    case 403:
      return GRPC_PERMISSION_DENIED;
    case 404:
      return GRPC_UNIMPLEMENTED;
    case 429:
      return GRPC_RESOURCE_EXHAUSTED;
    case 500:
    case 502:
    case 503:
      return GRPC_UNAVAILABLE;
    case 504:
      return GRPC_DEADLINE_EXCEEDED;
    default:
      return GRPC_UNKNOWN;
  }
}

/** `grpc-message` is percent-encoded: everything outside printable ASCII, and `%` itself. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** the `grpc-status` of a header or trailer block, -1 when absent or malformed */
export function grpcStatusOf(headers: IncomingHttpHeaders): number {
  const v = headers['grpc-status'];
  if (typeof v !== 'string' || v === '') return -1;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}
