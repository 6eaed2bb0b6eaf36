import {
  constants,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { Inflight } from '../drain.js';
import type { ForwardObserver } from '../forward.js';
import type { Series } from '../metrics.js';
import {
  ERR_CANCEL,
  ERR_NONE,
  ERR_RESET,
  ERR_UNEXPECTED,
  routeErrorOf,
  type RouteBackendMetrics,
} from '../route-metrics.js';
import type { H2Client, H2Lease } from './client.js';
import { grpcStatusOf } from './grpc.js';
import { h2Failure, respondH2Error } from './respond.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = constants;
const NO_TRAILERS: OutgoingHttpHeaders = {};

/**
 * What the policy path (`h2/exchange.ts`) controls of one try: it sends the request body itself
 * (through `upstream`, so that a small body can be replayed on the next try), may drop a try at its
 * response headers (a retry), takes over failures before the response headers (a retry, or its own
 * answer), and edits the response headers (ResponseHeaderModifier).
 */
export interface StreamTry {
  /** the client's request trailers, sent upstream at the end of the body */
  readonly trailers: OutgoingHttpHeaders | undefined;
  /** response headers of this try: true to forward them, false to drop the try (it is cancelled) */
  onResponse(status: number): boolean;
  /** the try failed before the response started: true when the exchange took over (the try is dropped) */
  onError(err: Error | undefined, rstCode: number): boolean;
  /** the response headers sent to the client */
  responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders;
}

/**
 * One HTTP/2 stream forwarded to an endpoint over a pooled session (`H2Client`): request headers (with
 * `:authority`, `:path` and `:method` as received), body and trailers go up; response headers, body and
 * trailers come down, each direction with back-pressure. gRPC stays gRPC: trailers-only responses pass
 * as they are, and errors before the response become trailers-only gRPC errors. A reset on either side
 * is passed on to the other (a cancelled call is cancelled upstream). One object per stream.
 *
 * Metrics: the response is recorded once, when the downstream stream closes: its `:status`, and for
 * gRPC its `grpc-status` (a failure unless 0). The balancer hears the outcome (`observer.done`) at the
 * response headers, or at the trailers for gRPC.
 */
export class StreamForward {
  up: ClientHttp2Stream | undefined;
  /** dropped by the policy path (retried or taken over): nothing of it reaches the client */
  private dropped = false;
  private lease: H2Lease | undefined;
  private status = 0;
  private grpcStatus = -1;
  /** the response is complete (end of stream received from the endpoint) */
  private complete = false;
  /** the proxy answered itself, or the stream broke */
  private failed = false;
  /** the route `error` code (route-metrics.ts) of a failure the proxy answered */
  private failError = ERR_UNEXPECTED;
  private observed = false;
  private recorded = false;
  private upTrailers: OutgoingHttpHeaders | undefined;
  private downTrailers: OutgoingHttpHeaders | undefined;
  private readonly sent: number;
  /** per-route metrics (route-metrics.ts): the route rule's backend this stream went to, set by the caller */
  route: RouteBackendMetrics | undefined = undefined;

  constructor(
    private readonly client: H2Client,
    private readonly down: ServerHttp2Stream,
    private readonly grpc: boolean,
    private readonly series: Series,
    private readonly start: number,
    private readonly inflight: Inflight,
    private readonly observer: ForwardObserver | undefined,
    private readonly policy?: StreamTry,
  ) {
    this.sent = performance.now();
  }

  /** `headers` as sent upstream; with a `StreamTry` the caller writes the request body to `up` */
  run(headers: IncomingHttpHeaders | OutgoingHttpHeaders, endStream: boolean): void {
    const down = this.down;
    down.on('close', this.onDownClose);
    if (this.policy === undefined) down.on('error', noop);
    let up: ClientHttp2Stream;
    try {
      this.lease = this.client.acquire();
      up = this.lease.session.request(headers, { endStream, waitForTrailers: !endStream });
    } catch (err) {
      if (this.lease !== undefined) this.client.release(this.lease);
      this.lease = undefined;
      this.localError(err as Error, 0);
      return;
    }
    this.up = up;
    up.on('response', this.onResponse);
    up.on('trailers', this.onTrailers);
    up.on('data', this.onUpData);
    up.on('end', this.onUpEnd);
    up.on('error', this.onUpError);
    up.on('close', this.onUpClose);
    if (!endStream) {
      up.on('wantTrailers', this.sendUpTrailers);
      if (this.policy !== undefined) return;
      down.on('data', this.onDownData);
      down.on('end', this.onDownEnd);
      down.on('trailers', this.onDownTrailers);
    }
  }

  // ---- request: downstream -> upstream

  private readonly onDownData = (chunk: Buffer): void => {
    const up = this.up as ClientHttp2Stream;
    if (up.destroyed) return;
    if (!up.write(chunk)) {
      this.down.pause();
      up.once('drain', this.resumeDown);
    }
  };

  private readonly resumeDown = (): void => {
    this.down.resume();
  };

  private readonly onDownEnd = (): void => {
    const up = this.up as ClientHttp2Stream;
    if (!up.destroyed) up.end();
  };

  private readonly onDownTrailers = (trailers: IncomingHttpHeaders): void => {
    this.upTrailers = trailers as OutgoingHttpHeaders;
  };

  private readonly sendUpTrailers = (): void => {
    const up = this.up as ClientHttp2Stream;
    if (!up.destroyed) up.sendTrailers(this.upTrailers ?? this.policy?.trailers ?? NO_TRAILERS);
  };

  // ---- response: upstream -> downstream

  private readonly onResponse = (headers: IncomingHttpHeaders, flags: number): void => {
    if (this.dropped) return;
    const down = this.down;
    this.status = Number(headers[':status']) || 0;
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    const policy = this.policy;
    if (policy !== undefined && !policy.onResponse(this.status)) {
      // retried: counted as a response of this endpoint, then cancelled
      this.observe(this.status >= 500);
      this.drop(this.status, false);
      return;
    }
    if (this.grpc) {
      // trailers-only: the status comes with the headers
      const g = grpcStatusOf(headers);
      if (g >= 0) this.grpcStatus = g;
      if (endStream) this.observe(g !== 0);
    } else {
      this.observe(this.status >= 500);
    }
    if (down.destroyed || down.closed) return;
    const out = policy !== undefined ? policy.responseHeaders(headers) : (headers as OutgoingHttpHeaders);
    if (endStream) {
      this.complete = true;
      down.respond(out, { endStream: true });
    } else {
      down.respond(out, { waitForTrailers: true });
      down.on('wantTrailers', this.sendDownTrailers);
    }
  };

  private readonly onTrailers = (trailers: IncomingHttpHeaders): void => {
    if (this.dropped) return;
    this.downTrailers = trailers as OutgoingHttpHeaders;
    if (this.grpc) {
      this.grpcStatus = grpcStatusOf(trailers);
      this.observe(this.grpcStatus !== 0);
    }
  };

  private readonly sendDownTrailers = (): void => {
    const down = this.down;
    if (!down.destroyed && !down.closed) down.sendTrailers(this.downTrailers ?? NO_TRAILERS);
  };

  private readonly onUpData = (chunk: Buffer): void => {
    if (this.dropped) return;
    const down = this.down;
    if (down.destroyed || down.closed) return;
    if (!down.write(chunk)) {
      (this.up as ClientHttp2Stream).pause();
      down.once('drain', this.resumeUp);
    }
  };

  private readonly resumeUp = (): void => {
    (this.up as ClientHttp2Stream).resume();
  };

  private readonly onUpEnd = (): void => {
    if (this.dropped) return;
    this.complete = true;
    if (this.grpc && this.grpcStatus < 0) this.observe(true);
    const down = this.down;
    if (!down.destroyed && !down.closed && down.headersSent) down.end();
  };

  private readonly onUpError = (err: Error): void => {
    this.localError(err, (this.up as ClientHttp2Stream).rstCode ?? 0);
  };

  private readonly onUpClose = (): void => {
    const up = this.up as ClientHttp2Stream;
    if (this.lease !== undefined) {
      this.client.release(this.lease);
      this.lease = undefined;
    }
    if (this.complete || this.dropped) return;
    // closed before the end of the response: reset by the endpoint, or the session went away
    this.localError(undefined, up.rstCode ?? 0);
  };

  /**
   * The policy path gives up on this try before its response started (a timeout): `err` goes through
   * the same path as an upstream failure (`StreamTry.onError`, else the proxy error answer).
   */
  fail(err: Error): void {
    if (this.dropped || this.down.headersSent) return;
    this.localError(err, 0);
  }

  /** the endpoint failed us before the response ended */
  private localError(err: Error | undefined, rstCode: number): void {
    if (this.failed || this.complete || this.dropped) return;
    const down = this.down;
    if (this.policy !== undefined && !down.headersSent && this.policy.onError(err, rstCode)) {
      this.observe(true);
      this.drop(h2Failure(err, rstCode).status, true);
      return;
    }
    this.failed = true;
    if (err !== undefined) this.failError = routeErrorOf(err);
    else if (rstCode !== 0) this.failError = ERR_RESET;
    this.observe(true);
    if (down.headersSent) {
      // mid-response: pass the reset on
      if (!down.destroyed && !down.closed) down.close(rstCode !== 0 ? rstCode : constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const f = h2Failure(err, rstCode);
    this.status = this.grpc ? 200 : f.status;
    this.grpcStatus = respondH2Error(down, f.status, f.reason, this.grpc);
    if (this.up !== undefined && !this.up.destroyed) this.up.close(NGHTTP2_CANCEL);
  }

  private readonly onDownClose = (): void => {
    const up = this.up;
    if (up !== undefined && !up.destroyed && !this.complete) {
      // the client cancelled or went away: cancel upstream too
      up.close(NGHTTP2_CANCEL);
    }
    if (!this.observed) {
      this.observed = true;
      this.observer?.done(performance.now() - this.sent, true);
    }
    this.record();
  };

  /** a try the policy path is done with: counted on its endpoint, cancelled, detached from the client */
  private drop(status: number, failed: boolean): void {
    this.dropped = true;
    this.recorded = true;
    this.series.response(status, performance.now() - this.start, failed);
    this.down.off('close', this.onDownClose);
    const up = this.up;
    if (up !== undefined && !up.destroyed) up.close(NGHTTP2_CANCEL);
  }

  private observe(failed: boolean): void {
    if (this.observed) return;
    this.observed = true;
    this.observer?.done(performance.now() - this.sent, failed);
  }

  private record(): void {
    if (this.recorded) return;
    this.recorded = true;
    const down = this.down;
    const broken = this.failed || !this.complete || (down.rstCode !== undefined && down.rstCode !== NGHTTP2_NO_ERROR);
    const failed = this.grpc ? broken || this.grpcStatus !== 0 : broken;
    this.series.response(this.status || 502, performance.now() - this.start, failed, this.grpc ? this.grpcStatus : -1);
    const route = this.route;
    if (route !== undefined) {
      // per route: no status when the proxy failed the stream (answered itself or reset it)
      let error = ERR_NONE;
      if (broken) error = this.failed ? this.failError : down.rstCode === NGHTTP2_CANCEL ? ERR_CANCEL : ERR_RESET;
      const ms = performance.now() - this.start;
      route.response(this.failed ? -1 : this.status, ms, error, this.failed ? -1 : this.grpcStatus);
    }
    this.inflight.leave();
  }
}

function noop(): void {}

/**
 * Forward a server stream to `client`. The caller has counted the request in `series` and `inflight`;
 * the forwarder records the response and leaves `inflight` when the stream closes.
 */
export function forwardStream(
  client: H2Client,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  grpc: boolean,
  series: Series,
  start: number,
  inflight: Inflight,
  observer?: ForwardObserver,
  route?: RouteBackendMetrics,
): void {
  const f = new StreamForward(client, stream, grpc, series, start, inflight, observer);
  f.route = route;
  f.run(headers, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
}

/** Answer a stream with a proxy error (no route, no endpoint, ...) and record it as a failed response. */
export function respondStreamLocally(
  stream: ServerHttp2Stream,
  status: number,
  reason: string,
  grpc: boolean,
  series: Series,
  start: number,
  inflight: Inflight,
): void {
  series.request();
  stream.on('error', noop);
  const g = respondH2Error(stream, status, reason, grpc);
  series.response(grpc ? 200 : status, performance.now() - start, true, g);
  inflight.leave();
}
