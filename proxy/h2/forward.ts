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
import type { H2Client, H2Lease } from './client.js';
import { grpcStatusOf } from './grpc.js';
import { h2Failure, respondH2Error } from './respond.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = constants;
const NO_TRAILERS: OutgoingHttpHeaders = {};

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
class StreamForward {
  private up: ClientHttp2Stream | undefined;
  private lease: H2Lease | undefined;
  private status = 0;
  private grpcStatus = -1;
  /** the response is complete (end of stream received from the endpoint) */
  private complete = false;
  /** the proxy answered itself, or the stream broke */
  private failed = false;
  private observed = false;
  private recorded = false;
  private upTrailers: OutgoingHttpHeaders | undefined;
  private downTrailers: OutgoingHttpHeaders | undefined;
  private readonly sent: number;

  constructor(
    private readonly client: H2Client,
    private readonly down: ServerHttp2Stream,
    private readonly grpc: boolean,
    private readonly series: Series,
    private readonly start: number,
    private readonly inflight: Inflight,
    private readonly observer: ForwardObserver | undefined,
  ) {
    this.sent = performance.now();
  }

  run(headers: IncomingHttpHeaders, endStream: boolean): void {
    const down = this.down;
    down.on('close', this.onDownClose);
    down.on('error', noop);
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
    if (!up.destroyed) up.sendTrailers(this.upTrailers ?? NO_TRAILERS);
  };

  // ---- response: upstream -> downstream

  private readonly onResponse = (headers: IncomingHttpHeaders, flags: number): void => {
    const down = this.down;
    this.status = Number(headers[':status']) || 0;
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    if (this.grpc) {
      // trailers-only: the status comes with the headers
      const g = grpcStatusOf(headers);
      if (g >= 0) this.grpcStatus = g;
      if (endStream) this.observe(g !== 0);
    } else {
      this.observe(this.status >= 500);
    }
    if (down.destroyed || down.closed) return;
    if (endStream) {
      this.complete = true;
      down.respond(headers as OutgoingHttpHeaders, { endStream: true });
    } else {
      down.respond(headers as OutgoingHttpHeaders, { waitForTrailers: true });
      down.on('wantTrailers', this.sendDownTrailers);
    }
  };

  private readonly onTrailers = (trailers: IncomingHttpHeaders): void => {
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
    if (this.complete) return;
    // closed before the end of the response: reset by the endpoint, or the session went away
    this.localError(undefined, up.rstCode ?? 0);
  };

  /** the endpoint failed us before the response ended */
  private localError(err: Error | undefined, rstCode: number): void {
    if (this.failed || this.complete) return;
    this.failed = true;
    this.observe(true);
    const down = this.down;
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
): void {
  new StreamForward(client, stream, grpc, series, start, inflight, observer).run(
    headers,
    (flags & NGHTTP2_FLAG_END_STREAM) !== 0,
  );
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
