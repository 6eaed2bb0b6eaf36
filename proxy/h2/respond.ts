import { constants, type ServerHttp2Stream } from 'node:http2';
import { headerSafe, LINKERD_PROXY_ERROR_HEADER, PROXY_ERROR_HEADER } from '../errors.js';
import { encodeGrpcMessage, grpcStatusFor } from './grpc.js';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = constants;

/**
 * Answer an HTTP/2 stream with a proxy-made error. gRPC gets a trailers-only response (`:status 200`,
 * `grpc-status`, `grpc-message`), plain HTTP/2 the status and a text body; both carry
 * `weir-proxy-error`/`l5d-proxy-error`. When the response has already started the stream is reset.
 * Returns the gRPC status sent (-1 for plain HTTP/2).
 */
export function respondH2Error(stream: ServerHttp2Stream, status: number, reason: string, grpc: boolean): number {
  if (stream.destroyed || stream.closed) return grpc ? grpcStatusFor(status) : -1;
  if (stream.headersSent) {
    stream.close(NGHTTP2_INTERNAL_ERROR);
    return grpc ? grpcStatusFor(status) : -1;
  }
  const value = headerSafe(reason);
  if (grpc) {
    const code = grpcStatusFor(status);
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': String(code),
        'grpc-message': encodeGrpcMessage(reason),
        [PROXY_ERROR_HEADER]: value,
        [LINKERD_PROXY_ERROR_HEADER]: value,
      },
      { endStream: true },
    );
    return code;
  }
  const body = `${value}\n`;
  stream.respond({
    ':status': status,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    [PROXY_ERROR_HEADER]: value,
    [LINKERD_PROXY_ERROR_HEADER]: value,
  });
  stream.end(body);
  return -1;
}

export { NGHTTP2_CANCEL };
