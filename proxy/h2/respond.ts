import { constants, type ServerHttp2Stream } from 'node:http2';
import { LINKERD_PROXY_ERROR_HEADER, PROXY_ERROR_HEADER, upstreamFailure, type ProxyFailure } from '../errors.js';
import { encodeGrpcMessage, grpcStatusFor } from './grpc.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = constants;

/**
 * An upstream HTTP/2 failure as a status and reason, on top of errors.ts: socket-level causes map as
 * for HTTP/1.1 (refused -> 502, ...); a stream the endpoint refused (REFUSED_STREAM, or a GOAWAY before
 * it was processed) is 503, any other reset 502.
 */
export function h2Failure(err: Error | undefined, rstCode = 0): ProxyFailure {
  // streams queued on a session that failed to connect carry the session's error as `cause`
  const cancelled = (err as { code?: string } | undefined)?.code === 'ERR_HTTP2_STREAM_CANCEL';
  const e = cancelled && err?.cause instanceof Error ? err.cause : err;
  const code = (e as { code?: string } | undefined)?.code;
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || rstCode === NGHTTP2_REFUSED_STREAM)
    return { status: 503, reason: 'stream refused by the endpoint' };
  if (code === 'ERR_HTTP2_STREAM_ERROR' || (e === undefined && rstCode !== 0))
    return { status: 502, reason: `stream reset by the endpoint (code ${rstCode})` };
  if (code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR' || code === 'ERR_HTTP2_INVALID_SESSION')
    return { status: 502, reason: 'connection reset' };
  if (e === undefined) return { status: 502, reason: 'stream closed by the endpoint' };
  return upstreamFailure(e);
}

function headerSafe(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 512);
}

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
