import {
  constants,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { performance } from 'node:perf_hooks';
import {
  classify,
  LINKERD_PROXY_ERROR_HEADER,
  PROXY_ERROR_HEADER,
  ROUTE_ERRORS,
  ERR_CANCEL,
  ERR_NONE,
  ERR_RESET,
  ERR_UNEXPECTED,
  sidecarUnsent,
  type Failure,
} from '../errors.js';
import type { Series } from '../metrics.js';
import type { RouteBackendMetrics } from '../route-metrics.js';
import { endRequest, type RequestScope } from '../scope.js';
import type { ForwardObserver } from '../targets.js';
import type { H2Client, H2Lease } from './client.js';
import { failedStatus, grpcOverloadMs, overloadMs } from '../balance/outcome.js';
import { grpcStatusOf } from './grpc.js';
import { respondH2Error } from './respond.js';
import { MAX_REPLAY_BYTES } from '../retry.js';
import type { Redispatch } from '../transport.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = constants;
const NO_TRAILERS: OutgoingHttpHeaders = {};

/*
 * Per-stream cost: the event handlers are shared functions, not closures made for every stream; each
 * finds its `StreamForward` through a symbol property on the stream it is called on (`this`). Handlers
 * only a few streams need are added when needed: 'wantTrailers' (node sends an empty trailer block when
 * nobody listens) once there are trailers to forward, 'drain' under back-pressure.
 */
const kForward = Symbol('weir.h2.forward');
type Tagged = { [kForward]?: StreamForward };

/*
 * The options objects are shared, and shaped for node 20: `request()` and `respond()` copy them with a
 * spread and then add the options left out (`weight`, `parent`, `exclusive`, `silent`; `endStream`).
 * Adding properties to a spread copy of a non-empty object literal takes V8 (11.3) a slow path of about
 * 1 us per property, some 5 % of the CPU of a proxied stream. The copy of a frozen object, and the
 * copy of an object that already has the property, do not. (`weight` itself must not be passed: newer
 * nodes warn about it, DEP0194.)
 */
const REQUEST_END = Object.freeze({ endStream: true, waitForTrailers: false });
/** a request with a body (and maybe trailers) */
const REQUEST_BODY = Object.freeze({ endStream: false, waitForTrailers: true });
const RESPOND_END = { endStream: true };
const RESPOND_BODY = { endStream: false, waitForTrailers: true };
const RESPOND_NO_TRAILERS = { endStream: false, waitForTrailers: false };

/*
 * Whether a response has trailers is known only at its end, but `respond()` must say whether trailers
 * will follow (`waitForTrailers`); with it, a response without trailers ends with an extra empty DATA
 * frame, sent from a `setImmediate` (some 8 % of the CPU of a small proxied stream). So the headers of
 * a plain HTTP/2 response are held until the end of the current event-loop turn: a response that ends
 * within it (a small one, read at once) is answered whole and knows its trailers; any other one is
 * answered then with `waitForTrailers`, as a streamed response. The same frames, save that empty DATA
 * frame, and no later: node writes them out at the end of the turn anyway. gRPC responses always end
 * with trailers and are answered at once.
 */
let heldHeads: StreamForward[] = [];

/** The client's side of a forwarded stream: the server stream and the request's scope. */
export interface StreamSide {
  readonly down: ServerHttp2Stream;
  readonly grpc: boolean;
  readonly ctx: RequestScope;
  /**
   * the endpoint is the pod's own app (the inbound side): its response loses the proxy's error headers, which
   * only a proxy may send (http1/app-forward.ts says why)
   */
  readonly app?: boolean;
}

/**
 * What the policy path (exchange.ts, through h2/transport.ts) controls of one try: it sends the request
 * body itself (through `up`, so that a small body can be replayed on the next try), may drop a try at
 * its response headers (a retry), takes over every failure before the response is committed (a retry,
 * or its own answer), and edits the response headers (ResponseHeaderModifier).
 */
export interface StreamOwner {
  /** the client's request trailers, sent upstream at the end of the body */
  readonly trailers: OutgoingHttpHeaders | undefined;
  /** the endpoint is a sidecar reached over mesh mTLS (its never-sent answers count as such) */
  readonly sidecar: boolean;
  /** the endpoint never got the stream (its sidecar said so): true when it went to another one */
  redispatch(f: Failure): boolean;
  /** response headers of this try: true to forward them, false to drop the try (it is cancelled) */
  tryResponse(status: number): boolean;
  /** the try failed before its response was committed: it is dropped, the owner answers or retries */
  tryFailed(f: Failure): void;
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
  /** the response goes to the client (no owner, or the owner said so) */
  private committed: boolean;
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
  private upTrailers: OutgoingHttpHeaders | undefined = undefined;
  private downTrailers: OutgoingHttpHeaders | undefined = undefined;
  /** response headers held until the end of this event-loop turn (see `heldHeads`), and the body meanwhile */
  private head: OutgoingHttpHeaders | undefined = undefined;
  private held: Buffer[] | undefined = undefined;
  private readonly sent: number;
  /**
   * The fast path's re-dispatch (redispatch.ts): until the response starts, the body chunks read are kept
   * (at most `MAX_REPLAY_BYTES`), so that a stream the endpoint never got (connection refused, stream
   * refused) goes to another endpoint whole. `bodyLost`: a chunk was read and not kept.
   */
  private redispatch: Redispatch | undefined;
  private kept: Buffer[] | undefined = undefined;
  private keptBytes = 0;
  private bodyLost = false;
  /** the client's request body ended (read whole) */
  private downEnded = false;
  private readonly down: ServerHttp2Stream;
  private readonly grpc: boolean;
  private readonly ctx: RequestScope;
  private readonly app: boolean;

  constructor(
    side: StreamSide,
    private readonly client: H2Client,
    private readonly series: Series,
    private readonly observer: ForwardObserver | undefined,
    /** per-route metrics (route-metrics.ts): the route rule's backend this stream went to */
    private readonly route: RouteBackendMetrics | undefined,
    private readonly policy?: StreamOwner,
    redispatch?: Redispatch,
  ) {
    this.redispatch = redispatch;
    this.down = side.down;
    this.grpc = side.grpc;
    this.ctx = side.ctx;
    this.app = side.app === true;
    this.committed = policy === undefined;
    this.sent = performance.now();
  }

  /**
   * `headers` as sent upstream; with a `StreamOwner` the caller writes the request body to `up`. `prev`:
   * the fast path's forward whose endpoint never got the stream (detached): its body read so far first.
   */
  run(headers: IncomingHttpHeaders | OutgoingHttpHeaders, endStream: boolean, prev?: StreamForward): void {
    const down = this.down;
    // the policy path's tries run one after the other on `down`: the last one owns its events
    (down as Tagged)[kForward] = this;
    down.on('close', StreamForward.downClose);
    if (prev !== undefined) {
      this.kept = prev.kept;
      this.keptBytes = prev.keptBytes;
      this.bodyLost = prev.bodyLost;
      this.downEnded = prev.downEnded;
      this.upTrailers = prev.upTrailers;
    } else if (this.policy === undefined) down.on('error', noop);
    let up: ClientHttp2Stream;
    try {
      this.lease = this.client.acquire();
      up = this.lease.session.request(headers, endStream ? REQUEST_END : REQUEST_BODY);
    } catch (err) {
      if (this.lease !== undefined) this.client.release(this.lease);
      this.lease = undefined;
      this.localError(classify(err as Error), 0);
      return;
    }
    this.up = up;
    (up as Tagged)[kForward] = this;
    up.on('response', StreamForward.upResponse);
    up.on('trailers', StreamForward.upTrailersIn);
    up.on('data', StreamForward.upData);
    up.on('end', StreamForward.upEnd);
    up.on('error', StreamForward.upError);
    up.on('close', StreamForward.upClose);
    if (!endStream) {
      if (this.policy !== undefined) {
        // the exchange may end the body at once (a retry with the whole body kept): trailers known
        up.on('wantTrailers', StreamForward.upWantTrailers);
        return;
      }
      if (prev !== undefined) this.resend(up);
      if (this.downEnded) return;
      down.on('data', StreamForward.downData);
      down.on('end', StreamForward.downEnd);
      down.on('trailers', StreamForward.downTrailersIn);
      // paused under back-pressure of the endpoint that failed
      if (prev !== undefined) down.resume();
    }
  }

  /**
   * The endpoint's sidecar answered that it could not connect to its app (errors.ts, `sidecarUnsent`):
   * nothing reached the app, so the stream goes to another endpoint when it can (true: it went).
   */
  private sidecarUnsent(headers: IncomingHttpHeaders, flags: number): boolean {
    const f = this.sidecarFailure(headers, flags);
    if (f === undefined) return false;
    const r = this.redispatch as Redispatch;
    this.redispatch = undefined;
    this.observe(true);
    if (!r.again(f)) return false;
    this.series.response(f.status, performance.now() - this.ctx.start, true);
    return true;
  }

  /** the never-sent failure a sidecar's answer stands for, if it is one */
  private sidecarFailure(headers: IncomingHttpHeaders, flags: number): Failure | undefined {
    const reason = headers[PROXY_ERROR_HEADER];
    if (typeof reason !== 'string') return undefined;
    const trailersOnly = (flags & NGHTTP2_FLAG_END_STREAM) !== 0 && this.grpc;
    return sidecarUnsent(trailersOnly ? 0 : this.status, reason);
  }

  /** a re-dispatch: the body read so far (kept whole), and its end and trailers if they came */
  private resend(up: ClientHttp2Stream): void {
    const kept = this.kept;
    if (kept !== undefined) for (let i = 0; i < kept.length; i++) up.write(kept[i] as Buffer);
    if (this.upTrailers !== undefined) up.on('wantTrailers', StreamForward.upWantTrailers);
    if (this.downEnded) up.end();
  }

  /** the body read so far is whole (kept), so the stream can go to another endpoint */
  bodyWhole(): boolean {
    return !this.bodyLost;
  }

  /**
   * A re-dispatch takes the client's stream over: this forward lets go of it (its listeners, its
   * upstream stream) and records nothing more; the new one carries on.
   */
  detach(): void {
    const down = this.down;
    down.off('close', StreamForward.downClose);
    down.off('data', StreamForward.downData);
    down.off('end', StreamForward.downEnd);
    down.off('trailers', StreamForward.downTrailersIn);
    this.dropped = true;
    this.recorded = true;
    this.observed = true;
    const up = this.up;
    if (up !== undefined && !up.destroyed) up.close(NGHTTP2_CANCEL);
  }

  /** fast path: keep a body chunk for a re-dispatch while no response came, within the bound */
  private keep(chunk: Buffer): void {
    if (this.status !== 0 || this.keptBytes + chunk.length > MAX_REPLAY_BYTES) {
      this.bodyLost = true;
      this.kept = undefined;
      return;
    }
    (this.kept ??= []).push(chunk);
    this.keptBytes += chunk.length;
  }

  // ---- event handlers, shared by every stream: `this` is the stream, tagged with its forward

  private static downData(this: ServerHttp2Stream, chunk: Buffer): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    if (f.redispatch !== undefined && !f.bodyLost) f.keep(chunk);
    const up = f.up as ClientHttp2Stream;
    if (up.destroyed) return;
    if (!up.write(chunk)) {
      this.pause();
      up.once('drain', StreamForward.upDrain);
    }
  }

  private static upDrain(this: ClientHttp2Stream): void {
    ((this as Tagged)[kForward] as StreamForward).down.resume();
  }

  private static downEnd(this: ServerHttp2Stream): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    f.downEnded = true;
    const up = f.up as ClientHttp2Stream;
    if (!up.destroyed) up.end();
  }

  private static downTrailersIn(this: ServerHttp2Stream, trailers: IncomingHttpHeaders): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    f.upTrailers = trailers as OutgoingHttpHeaders;
    // before the end of the body: the request ends with them (else node sends an empty block)
    (f.up as ClientHttp2Stream).on('wantTrailers', StreamForward.upWantTrailers);
  }

  private static upWantTrailers(this: ClientHttp2Stream): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    if (!this.destroyed) this.sendTrailers(f.upTrailers ?? f.policy?.trailers ?? NO_TRAILERS);
  }

  private static upResponse(this: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    ((this as Tagged)[kForward] as StreamForward).onResponse(headers, flags);
  }

  private static upTrailersIn(this: ClientHttp2Stream, trailers: IncomingHttpHeaders): void {
    ((this as Tagged)[kForward] as StreamForward).onTrailers(trailers);
  }

  private static downWantTrailers(this: ServerHttp2Stream): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    if (!this.destroyed && !this.closed) this.sendTrailers(f.downTrailers ?? NO_TRAILERS);
  }

  private static upData(this: ClientHttp2Stream, chunk: Buffer): void {
    const f = (this as Tagged)[kForward] as StreamForward;
    if (f.dropped) return;
    if (f.head !== undefined) {
      (f.held ??= []).push(chunk);
      return;
    }
    const down = f.down;
    if (down.destroyed || down.closed) return;
    if (!down.write(chunk)) {
      this.pause();
      down.once('drain', StreamForward.downDrain);
    }
  }

  private static downDrain(this: ServerHttp2Stream): void {
    (((this as Tagged)[kForward] as StreamForward).up as ClientHttp2Stream).resume();
  }

  private static upEnd(this: ClientHttp2Stream): void {
    ((this as Tagged)[kForward] as StreamForward).onUpEnd();
  }

  private static upError(this: ClientHttp2Stream, err: Error): void {
    const rst = this.rstCode ?? 0;
    ((this as Tagged)[kForward] as StreamForward).localError(classify(err, rst), rst);
  }

  private static upClose(this: ClientHttp2Stream): void {
    ((this as Tagged)[kForward] as StreamForward).onUpClose();
  }

  private static downClose(this: ServerHttp2Stream): void {
    ((this as Tagged)[kForward] as StreamForward).onDownClose();
  }

  // ---- response: upstream -> downstream

  private onResponse(headers: IncomingHttpHeaders, flags: number): void {
    if (this.dropped) return;
    const down = this.down;
    this.status = Number(headers[':status']) || 0;
    const r = this.redispatch;
    if (r !== undefined && r.sidecar && this.sidecarUnsent(headers, flags)) return;
    const policy = this.policy;
    if (policy !== undefined && policy.sidecar) {
      const f = this.sidecarFailure(headers, flags);
      if (f !== undefined) {
        this.observe(true);
        if (policy.redispatch(f)) {
          this.drop();
          return;
        }
      }
    }
    if (this.app && (headers[PROXY_ERROR_HEADER] !== undefined || headers[LINKERD_PROXY_ERROR_HEADER] !== undefined)) {
      delete headers[PROXY_ERROR_HEADER];
      delete headers[LINKERD_PROXY_ERROR_HEADER];
    }
    // the endpoint got the stream: no re-dispatch, nothing more to keep
    this.redispatch = undefined;
    this.kept = undefined;
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    if (policy !== undefined) {
      if (!policy.tryResponse(this.status)) {
        // retried (the owner counted it): cancelled
        this.observeStatus(headers);
        this.drop();
        return;
      }
      this.committed = true;
    }
    if (this.grpc) {
      // trailers-only: the status comes with the headers
      const g = grpcStatusOf(headers);
      if (g >= 0) this.grpcStatus = g;
      if (endStream) this.observe(g !== 0, grpcOverloadMs(g, retryAfterOf(headers)));
    } else {
      this.observeStatus(headers);
    }
    if (down.destroyed || down.closed) return;
    const out = policy !== undefined ? policy.responseHeaders(headers) : (headers as OutgoingHttpHeaders);
    if (endStream) {
      this.complete = true;
      down.respond(out, RESPOND_END);
    } else if (this.grpc) {
      // the trailers come before the end of the body, and 'wantTrailers' after it
      down.respond(out, RESPOND_BODY);
    } else {
      this.head = out;
      if (heldHeads.push(this) === 1) setImmediate(StreamForward.respondHeld);
    }
  }

  /** the end of the event-loop turn: the responses whose headers are held have not ended within it */
  private static respondHeld(): void {
    const fs = heldHeads;
    heldHeads = [];
    for (let i = 0; i < fs.length; i++) (fs[i] as StreamForward).respondHead();
  }

  /** send the held response headers as those of a streamed response, then the body received meanwhile */
  private respondHead(): void {
    const head = this.head;
    if (head === undefined) return;
    const held = this.held;
    this.head = undefined;
    this.held = undefined;
    const down = this.down;
    if (down.destroyed || down.closed) return;
    down.respond(head, RESPOND_BODY);
    if (this.downTrailers !== undefined) down.on('wantTrailers', StreamForward.downWantTrailers);
    if (held === undefined) return;
    let ok = true;
    for (let i = 0; i < held.length; i++) ok = down.write(held[i] as Buffer) && ok;
    if (!ok) {
      (this.up as ClientHttp2Stream).pause();
      down.once('drain', StreamForward.downDrain);
    }
  }

  /** the response ended while its headers were held: all of it at once, with its trailers if any */
  private respondWhole(): void {
    const head = this.head as OutgoingHttpHeaders;
    const held = this.held;
    this.head = undefined;
    this.held = undefined;
    const down = this.down;
    if (down.destroyed || down.closed) return;
    if (this.downTrailers !== undefined) {
      down.respond(head, RESPOND_BODY);
      down.on('wantTrailers', StreamForward.downWantTrailers);
    } else if (held === undefined) {
      down.respond(head, RESPOND_END);
      return;
    } else {
      down.respond(head, RESPOND_NO_TRAILERS);
    }
    if (held !== undefined) for (let i = 0; i < held.length; i++) down.write(held[i] as Buffer);
    down.end();
  }

  private onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.dropped) return;
    this.downTrailers = trailers as OutgoingHttpHeaders;
    if (this.grpc) {
      this.grpcStatus = grpcStatusOf(trailers);
      this.observe(this.grpcStatus !== 0, grpcOverloadMs(this.grpcStatus, retryAfterOf(trailers)));
    }
    // the response ends with them (without a listener node sends an empty trailer block)
    const down = this.down;
    if (down.headersSent) down.on('wantTrailers', StreamForward.downWantTrailers);
  }

  private onUpEnd(): void {
    if (this.dropped) return;
    this.complete = true;
    if (this.grpc && this.grpcStatus < 0) this.observe(true);
    if (this.head !== undefined) {
      this.respondWhole();
      return;
    }
    const down = this.down;
    if (!down.destroyed && !down.closed && down.headersSent) down.end();
  }

  private onUpClose(): void {
    const up = this.up as ClientHttp2Stream;
    if (this.lease !== undefined) {
      this.client.release(this.lease);
      this.lease = undefined;
    }
    if (this.complete || this.dropped) return;
    // closed before the end of the response: reset by the endpoint, or the session went away
    const rst = up.rstCode ?? 0;
    this.localError(classify(undefined, rst), rst);
  }

  /** The policy path gives up on this try before its response was committed (a timeout): silently. */
  cancel(): void {
    if (this.dropped || this.committed) return;
    this.observed = true;
    this.drop();
  }

  /** the endpoint failed us before the response ended */
  private localError(f: Failure, rstCode: number): void {
    if (this.failed || this.complete || this.dropped) return;
    const r = this.redispatch;
    if (r !== undefined && f.unsent && this.status === 0) {
      // nothing reached the endpoint: the balancer hears of the failure, then another endpoint may take
      // the stream (`again` detaches this forward); the route's metrics count what the client gets
      this.redispatch = undefined;
      this.observe(true);
      if (r.again(f)) {
        this.series.response(f.status, performance.now() - this.ctx.start, true);
        return;
      }
    }
    if (!this.committed) {
      // the owner answers or retries
      this.observe(true);
      this.drop();
      (this.policy as StreamOwner).tryFailed(f);
      return;
    }
    // the response had started: it is cut as it would have been had its headers not been held
    if (this.head !== undefined) this.respondHead();
    const down = this.down;
    this.failed = true;
    this.failError = f.error;
    this.observe(true);
    if (down.headersSent) {
      // mid-response: pass the reset on
      if (!down.destroyed && !down.closed) down.close(rstCode !== 0 ? rstCode : constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    this.status = this.grpc ? 200 : f.status;
    this.grpcStatus = respondH2Error(down, f.status, f.reason, this.grpc);
    if (this.up !== undefined && !this.up.destroyed) this.up.close(NGHTTP2_CANCEL);
  }

  private onDownClose(): void {
    this.head = undefined;
    this.held = undefined;
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
  }

  /** a try the policy path is done with (it counts it): cancelled, detached from the client */
  private drop(): void {
    this.dropped = true;
    this.recorded = true;
    this.down.off('close', StreamForward.downClose);
    const up = this.up;
    if (up !== undefined && !up.destroyed) up.close(NGHTTP2_CANCEL);
  }

  /** the balancer's feedback for a response status (balance/outcome.ts) */
  private observeStatus(headers: IncomingHttpHeaders): void {
    const status = this.status;
    this.observe(failedStatus(status), status === 429 ? overloadMs(status, retryAfterOf(headers)) : 0);
  }

  private observe(failed: boolean, overload = 0): void {
    if (this.observed) return;
    this.observed = true;
    this.observer?.done(performance.now() - this.sent, failed, overload);
  }

  /** why the stream did not end well (for the trace span) */
  private breakReason(): string {
    if (this.failed) return ROUTE_ERRORS[this.failError] || 'failed';
    return this.down.rstCode === NGHTTP2_CANCEL ? 'cancelled by the client' : 'reset';
  }

  private record(): void {
    if (this.recorded) return;
    this.recorded = true;
    const down = this.down;
    const broken = this.failed || !this.complete || (down.rstCode !== undefined && down.rstCode !== NGHTTP2_NO_ERROR);
    const failed = this.grpc ? broken || this.grpcStatus !== 0 : broken;
    const ms = performance.now() - this.ctx.start;
    this.series.response(this.status || 502, ms, failed, this.grpc ? this.grpcStatus : -1);
    const route = this.route;
    if (route !== undefined) {
      // per route: no status when the proxy failed the stream (answered itself or reset it)
      let error = ERR_NONE;
      if (broken) error = this.failed ? this.failError : down.rstCode === NGHTTP2_CANCEL ? ERR_CANCEL : ERR_RESET;
      route.response(this.failed ? -1 : this.status, ms, error, this.failed ? -1 : this.grpcStatus);
    }
    endRequest(this.ctx, this.status, this.grpcStatus, broken ? this.breakReason() : undefined);
  }
}

function noop(): void {}

function retryAfterOf(headers: IncomingHttpHeaders): string | undefined {
  const v = headers['retry-after'];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Forward a server stream to `client` as received. The caller has counted the request in `series` and
 * `inflight`; the forwarder records the response and leaves `inflight` when the stream closes.
 */
export function forwardStream(
  side: StreamSide,
  client: H2Client,
  headers: IncomingHttpHeaders,
  flags: number,
  series: Series,
): void {
  new StreamForward(side, client, series, undefined, undefined).run(headers, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
}
