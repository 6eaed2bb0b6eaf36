import { constants } from 'node:http2';

/**
 * The failure table: every way a request can fail in the proxy becomes one `Failure`, classified once,
 * here, and every layer asks it (the answer sent, the route metrics' `error` label, the retry layer, the
 * balancer's failure accrual), for HTTP/1.1, HTTP/2 and gRPC alike. Errors are told apart by their
 * `code` (Node, undici, node:http2, the proxy's own `WEIR_*`) and the HTTP/2 reset code, never by their
 * message. A response the proxy produced itself carries `weir-proxy-error: <reason>` (and
 * `l5d-proxy-error`, for Linkerd users), so users can tell it from the application's own errors.
 *
 * | failure | status | route `error` | retried |
 * | --- | --- | --- | --- |
 * | never sent (the rows below marked *never sent*): nothing of the request reached the endpoint | dispatched again to another endpoint of the same backend, see below | - | - |
 * | routes attached to the Service, none matches | 404 | UNEXPECTED | no |
 * | backend does not resolve (unknown Service/port/kind), rule without usable backends | 500 | UNEXPECTED | no |
 * | connection refused / unreachable, stream refused by the endpoint (REFUSED_STREAM, GOAWAY); *never sent* | 502 (503 refused stream) | IO | any method |
 * | connection reset / closed by the endpoint, stream reset, bad upstream response | 502 | RESET | idempotent methods |
 * | no endpoint ready (or all ejected) within the fail-fast bound; any request while failing fast | 503 | FAIL_FAST | no |
 * | too many requests already waiting for an endpoint of the backend (load shed) | 503 | LOAD_SHED | no |
 * | connect timeout; *never sent* | 504 | RESPONSE_HEADERS_TIMEOUT | any method |
 * | the endpoint's connection pool is closed (it left the endpoints meanwhile); *never sent* | 503 | UNEXPECTED | any method |
 * | response-headers timeout, HTTPRoute `timeouts.backendRequest` | 504 | RESPONSE_HEADERS_TIMEOUT | idempotent methods |
 * | HTTPRoute `timeouts.request` | 504 | REQUEST_TIMEOUT | no |
 * | request the upstream client cannot send as is (e.g. two Host headers), unusable request target | 400 | UNEXPECTED | no |
 * | mTLS: the endpoint's leaf does not name the identity discovery announced; *never sent* | 502 | IO | any method |
 * | mTLS: the endpoint's chain does not end at our trust anchors (expired, unknown issuer...); *never sent* | 502 | IO | any method |
 * | mTLS: the handshake failed otherwise (a TLS alert, e.g. our certificate refused); *never sent* | 502 | IO | any method |
 * | inbound with `requireIdentity`: a client without a verified mesh identity (plaintext, no certificate) | 403 | UNEXPECTED | no |
 * | inbound authorization (proxy/authz): no authorization of the port's policy admits the client | 403 | UNEXPECTED | no |
 * | inbound authorization: the Server has HTTPRoutes and none matches the request | 404 | UNEXPECTED | no |
 * | inbound HTTPLocalRateLimitPolicy: past the limit | 429 | UNEXPECTED | no |
 * | a request line of HTTP/0.9 (no version) or another major version in HTTP/1 syntax (`HTTP/2.0`) | 400, closed | - | - |
 * | hostile or oversized input at a listener (protocol/limits.ts), answered by node's parser: headers past `maxHeaderBytes` | 431, closed | - | - |
 * | malformed HTTP/1.1 (smuggling: Content-Length with Transfer-Encoding, duplicate or invalid Content-Length, obs-fold, bad chunk sizes, CR/LF/NUL in headers, no or two Host) | 400, closed | - | - |
 * | request headers not complete within `headersTimeoutMs`, request (body included) not within `requestTimeoutMs` | 408, closed | - | - |
 * | idle HTTP/1.1 keep-alive connection past `idleTimeoutMs`; HTTP/2 session without frames past it | closed (GOAWAY) | - | - |
 * | HTTP/2 floods (rapid reset, CONTINUATION, SETTINGS, PING), more than `maxConcurrentStreams` streams: nghttp2's limits | GOAWAY / RST_STREAM | - | - |
 *
 * Never sent (`Failure.unsent`, redispatch.ts), or answered so by the endpoint's own sidecar (a 502/503/504
 * whose `weir-proxy-error` is one of these rows' reasons, from an endpoint reached over mesh mTLS: its app
 * refused the connection, `sidecarUnsent`): a try that failed so is dispatched again, at once, to another
 * endpoint of the same backend: for any method, on the fast and the policy path, HTTP/1.1, HTTP/2 and
 * gRPC alike, with or without a retry policy, and outside the retry policy's attempts and budget. At most
 * `MAX_REDISPATCHES` (2) times per request, never to the endpoint that just failed (which the balancer
 * has heard of as a failure, so failure accrual ejects it); with no other endpoint available now the
 * request is answered as the row says. A request with a body goes again only when the body is still
 * whole: HTTP/1.1 when no byte of it was read from the client yet (undici reads it only once connected,
 * so a refused connection leaves it untouched), or when it is kept for retries; HTTP/2 and gRPC when it is
 * at most `MAX_REPLAY_BYTES` (the chunks read are kept until the response starts). Otherwise the row's
 * answer.
 *
 * A request whose retries are used up on connection-level failures (refused, reset, closed) answers
 * 503, as the Gateway API conformance suite expects (`HTTPRouteRetryConnectionError`: "500 or 503"); a
 * request retried on timeouts answers 504. gRPC clients get the matching `grpc-status` (h2/grpc.ts).
 */

export const PROXY_ERROR_HEADER = 'weir-proxy-error';
export const LINKERD_PROXY_ERROR_HEADER = 'l5d-proxy-error';

/** Linkerd's route `error` label values (index = `Failure.error`; 0 = no error) */
export const ROUTE_ERRORS = [
  '',
  'FAIL_FAST',
  'LOAD_SHED',
  'REQUEST_TIMEOUT',
  'RESPONSE_HEADERS_TIMEOUT',
  'RESPONSE_STREAM_TIMEOUT',
  'CANCEL',
  'RESET',
  'IO',
  'UNEXPECTED',
] as const;
export const ERR_NONE = 0;
export const ERR_FAIL_FAST = 1;
export const ERR_LOAD_SHED = 2;
export const ERR_REQUEST_TIMEOUT = 3;
export const ERR_RESPONSE_HEADERS_TIMEOUT = 4;
export const ERR_RESPONSE_STREAM_TIMEOUT = 5;
export const ERR_CANCEL = 6;
export const ERR_RESET = 7;
export const ERR_IO = 8;
export const ERR_UNEXPECTED = 9;

/** whether a failed try may be tried again (retry.ts): never, for idempotent methods only, for any method */
export const RETRY_NEVER = 0;
export const RETRY_IDEMPOTENT = 1;
export const RETRY_ANY = 2;
export type RetryClass = typeof RETRY_NEVER | typeof RETRY_IDEMPOTENT | typeof RETRY_ANY;

export interface Failure {
  /** the HTTP status the proxy answers with */
  readonly status: number;
  /** `weir-proxy-error` */
  readonly reason: string;
  /** the route metrics' `error` label (`ROUTE_ERRORS` index) */
  readonly error: number;
  /** what the retry layer may do with a try that failed so */
  readonly retry: RetryClass;
  /** a connection-level failure (answered 503 once retries are used up) */
  readonly connection: boolean;
  /** nothing of the request reached the endpoint: it may be dispatched again to another one (redispatch.ts) */
  readonly unsent: boolean;
}

function failure(
  status: number,
  reason: string,
  error: number,
  retry: RetryClass,
  connection = false,
  unsent = false,
): Failure {
  return { status, reason, error, retry, connection, unsent };
}

// ---- failures the proxy decides on itself

export const noRoute = (reason: string): Failure => failure(404, reason, ERR_UNEXPECTED, RETRY_NEVER);
export const backendInvalid = (reason: string, status = 500): Failure =>
  failure(status, reason, ERR_UNEXPECTED, RETRY_NEVER);
export const badRequest = (reason: string): Failure => failure(400, reason, ERR_UNEXPECTED, RETRY_NEVER);
export const failFast = (reason: string): Failure => failure(503, reason, ERR_FAIL_FAST, RETRY_NEVER);
export const loadShed = (reason: string): Failure => failure(503, reason, ERR_LOAD_SHED, RETRY_NEVER);
export const noEndpoint = (backend: string): Failure => failFast(`no ready endpoints for ${backend}`);
/** inbound `requireIdentity`: the client proved no mesh identity (Linkerd's unauthorized row: 403) */
export const IDENTITY_REQUIRED = failure(403, 'client identity required', ERR_UNEXPECTED, RETRY_NEVER);

/** inbound authorization: no authorization admits the client (gRPC: PERMISSION_DENIED) */
export const unauthorized = (server: string): Failure =>
  failure(403, `unauthorized request on server ${server}`, ERR_UNEXPECTED, RETRY_NEVER);
/** inbound authorization: the Server's HTTPRoutes do not match the request */
export const noInboundRoute = (server: string): Failure => noRoute(`no route found for request on server ${server}`);
/** HTTPLocalRateLimitPolicy: past the limit (gRPC: RESOURCE_EXHAUSTED) */
export const rateLimited = (server: string): Failure =>
  failure(429, `too many requests on server ${server}`, ERR_UNEXPECTED, RETRY_NEVER);

/** a request line without an HTTP/1.x version (HTTP/0.9, `HTTP/2.0` in HTTP/1 syntax): refused at the listener */
export const UNSUPPORTED_HTTP_VERSION = failure(400, 'unsupported HTTP version', ERR_UNEXPECTED, RETRY_NEVER);

/** HTTPRoute `timeouts.request`: the whole request, every try and backoff included */
export const REQUEST_TIMEOUT = failure(504, 'request timeout', ERR_REQUEST_TIMEOUT, RETRY_NEVER);
/** HTTPRoute `timeouts.backendRequest`: one try */
export const BACKEND_REQUEST_TIMEOUT = failure(
  504,
  'backend request timeout',
  ERR_RESPONSE_HEADERS_TIMEOUT,
  RETRY_IDEMPOTENT,
);

/**
 * An error to hand an upstream client as the reason it was cancelled (undici's `abort(err)`), carrying
 * the failure it stands for: `classify()` gives that failure back.
 */
export class FailureError extends Error {
  readonly code = 'WEIR_FAILURE';
  constructor(readonly failure: Failure) {
    super(failure.reason);
    this.name = 'FailureError';
  }
}
export const REQUEST_TIMEOUT_ERROR = new FailureError(REQUEST_TIMEOUT);
export const BACKEND_REQUEST_TIMEOUT_ERROR = new FailureError(BACKEND_REQUEST_TIMEOUT);

// ---- failures of the upstream side, by error code

const REFUSED = failure(502, 'connection refused', ERR_IO, RETRY_ANY, true, true);
const RESET = failure(502, 'connection reset', ERR_RESET, RETRY_IDEMPOTENT, true);
const CONNECT_TIMEOUT = failure(504, 'connect timeout', ERR_RESPONSE_HEADERS_TIMEOUT, RETRY_ANY, false, true);
const RESPONSE_TIMEOUT = failure(504, 'response timeout', ERR_RESPONSE_HEADERS_TIMEOUT, RETRY_IDEMPOTENT);
const BODY_TIMEOUT = failure(504, 'response body timeout', ERR_RESPONSE_STREAM_TIMEOUT, RETRY_NEVER);
const HEADERS_OVERFLOW = failure(502, 'response headers too large', ERR_UNEXPECTED, RETRY_NEVER);
const LENGTH_MISMATCH = failure(502, 'response length mismatch', ERR_UNEXPECTED, RETRY_NEVER);
const ENDPOINT_CLOSED = failure(503, 'endpoint closed', ERR_UNEXPECTED, RETRY_ANY, true, true);
const ABORTED = failure(502, 'request aborted', ERR_UNEXPECTED, RETRY_NEVER);
const STREAM_REFUSED = failure(503, 'stream refused by the endpoint', ERR_IO, RETRY_ANY, true, true);
const STREAM_CLOSED = failure(502, 'stream closed by the endpoint', ERR_RESET, RETRY_IDEMPOTENT, true);
// mTLS to a meshed endpoint (tls/connect.ts): Linkerd's "identity required" row, 502. Nothing was sent,
// so another endpoint may be tried; not a connection failure of the endpoint (no 503 once exhausted).
const IDENTITY_MISMATCH = failure(502, 'server identity mismatch', ERR_IO, RETRY_ANY, false, true);
const UNTRUSTED = failure(502, 'server certificate not trusted', ERR_IO, RETRY_ANY, false, true);
const TLS_HANDSHAKE = failure(502, 'tls handshake failed', ERR_IO, RETRY_ANY, false, true);
/** Node's X.509 verification error codes (the `tls` docs' "X509 certificate error codes") */
const X509_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);
const connectFailed = (code: string) => failure(502, `connect failed (${code})`, ERR_IO, RETRY_ANY, true, true);
const streamReset = (rstCode: number) =>
  failure(502, `stream reset by the endpoint (code ${rstCode})`, ERR_RESET, RETRY_IDEMPOTENT, true);

/**
 * The failure of an upstream try: `err` from undici, the socket, node:http2 (with the stream's reset
 * code `rstCode`), or a `FailureError`. `undefined` with a reset code is a stream the endpoint reset;
 * with none, a stream it closed before the response ended.
 */
export function classify(err: Error | undefined, rstCode = 0): Failure {
  if (err instanceof FailureError) return err.failure;
  // streams queued on an HTTP/2 session that failed to connect carry the session's error as `cause`
  let code = (err as { code?: unknown } | undefined)?.code as string | undefined;
  if (code === 'ERR_HTTP2_STREAM_CANCEL' && err?.cause instanceof Error) {
    err = err.cause;
    code = (err as { code?: unknown }).code as string | undefined;
  }
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || rstCode === constants.NGHTTP2_REFUSED_STREAM) return STREAM_REFUSED;
  if (err === undefined) return rstCode !== 0 ? streamReset(rstCode) : STREAM_CLOSED;
  switch (code) {
    case 'ECONNREFUSED':
      return REFUSED;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return connectFailed(code);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
    case 'ERR_HTTP2_ERROR':
    case 'ERR_HTTP2_SESSION_ERROR':
    case 'ERR_HTTP2_INVALID_SESSION':
      return RESET;
    case 'ERR_HTTP2_STREAM_ERROR':
      return streamReset(rstCode);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return CONNECT_TIMEOUT;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return RESPONSE_TIMEOUT;
    case 'UND_ERR_BODY_TIMEOUT':
      return BODY_TIMEOUT;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return HEADERS_OVERFLOW;
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return LENGTH_MISMATCH;
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return badRequest(`invalid request: ${err.message}`);
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return ENDPOINT_CLOSED;
    case 'UND_ERR_ABORTED':
      return ABORTED;
    case 'WEIR_TLS_IDENTITY_MISMATCH':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return IDENTITY_MISMATCH;
    default:
      if (X509_ERRORS.has(code as string)) return UNTRUSTED;
      if (code !== undefined && code.startsWith('ERR_SSL_')) return TLS_HANDSHAKE;
      if (code !== undefined && code.startsWith('ERR_HTTP2_')) return rstCode !== 0 ? streamReset(rstCode) : RESET;
      return failure(502, `upstream error: ${err.message}`, ERR_UNEXPECTED, RETRY_NEVER);
  }
}

/** the never-sent failures a sidecar's inbound side may answer with, by their `weir-proxy-error` reason */
const UNSENT_REASONS = new Map([REFUSED, CONNECT_TIMEOUT, ENDPOINT_CLOSED, STREAM_REFUSED].map((f) => [f.reason, f]));

/**
 * The answer of a Weir sidecar's inbound side (an endpoint reached over mesh mTLS) that could not connect
 * to its own app: a 502/503/504 (`status`; for gRPC, a trailers-only answer: pass 0) whose
 * `weir-proxy-error` names a never-sent failure. Nothing reached the app, so the request may go to
 * another endpoint as if this proxy had failed to connect (a crashed app whose pod has not left the
 * endpoints yet). Returns that failure, or undefined for any other answer.
 */
export function sidecarUnsent(status: number, reason: string | undefined): Failure | undefined {
  if (reason === undefined || (status !== 0 && (status < 502 || status > 504))) return undefined;
  const f = UNSENT_REASONS.get(reason);
  if (f !== undefined) return status === 0 || f.status === status ? f : undefined;
  return (status === 0 || status === 502) && reason.startsWith('connect failed (') && reason.endsWith(')')
    ? connectFailed(reason.slice('connect failed ('.length, -1))
    : undefined;
}

/** The answer once retries are used up: connection-level failures are 503, as conformance expects. */
export function exhausted(f: Failure): Failure {
  return f.connection && f.status !== 503 ? { ...f, status: 503 } : f;
}

/** `reason` as a header value: printable ASCII, at most 512 characters */
export function headerSafe(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 512);
}
