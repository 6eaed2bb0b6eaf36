import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { applyHeaderEdit } from '../filters/header-modifier.js';
import type { RequestState } from '../filters/state.js';
import type { Failure } from '../errors.js';
import { MAX_REPLAY_BYTES } from '../retry.js';
import type { RouteBackendMetrics } from '../route-metrics.js';
import type { Backend, Endpoint } from '../targets.js';
import type { Redispatch, RequestContext, Transport, Try, TryOwner } from '../transport.js';
import type { H2Client, H2Clients } from './client.js';
import { StreamForward, type StreamOwner, type StreamSide } from './forward.js';
import { isGrpc } from './grpc.js';
import { flatInto, flatRequestHeaders, headerObject } from './headers.js';
import { sendH2Mirror } from './mirror.js';
import { respondH2Error } from './respond.js';

const { NGHTTP2_FLAG_END_STREAM } = constants;

/**
 * One HTTP/2 stream (h2c or gRPC) as the stack sees it (transport.ts): tries go as streams on the
 * endpoint's pooled sessions (`StreamForward`), answers are written to the server stream; gRPC gets
 * trailers-only gRPC errors. On the policy path the request body is streamed to the try as it arrives
 * and kept up to `MAX_REPLAY_BYTES` so that the next try (a retry, a re-dispatch) or a mirror gets it
 * again; a body that grows past the limit is never retried nor mirrored. The body flows only while a try
 * is in flight.
 */
export class H2Transport implements Transport, StreamSide {
  readonly method: string;
  readonly url: string;
  readonly grpc: boolean;
  readonly hasBody: boolean;
  readonly host: string | undefined;
  readonly scheme: 'http' | 'https';
  /** StreamOwner: the client's request trailers */
  trailers: OutgoingHttpHeaders | undefined = undefined;
  private upHeaders: OutgoingHttpHeaders | undefined;
  private gone: (() => void) | undefined;
  /** the fast path's forward (the last one, after re-dispatches) */
  private fast: StreamForward | undefined = undefined;
  // ---- the body on the policy path
  /** the try the body goes to */
  private current: StreamForward | undefined;
  private keep = false;
  private chunks: Buffer[] = [];
  private size = 0;
  /** the body grew past `MAX_REPLAY_BYTES`: no retry, no mirror */
  private overflow = false;
  private ended = false;
  private whole: ((body: Buffer | null | undefined) => void) | undefined;

  constructor(
    readonly ctx: RequestContext,
    private readonly clients: H2Clients,
    readonly down: ServerHttp2Stream,
    readonly headers: IncomingHttpHeaders,
    flags: number,
  ) {
    this.method = String(headers[':method'] ?? 'GET');
    this.url = String(headers[':path'] ?? '/');
    this.grpc = isGrpc(headers);
    this.hasBody = (flags & NGHTTP2_FLAG_END_STREAM) === 0;
    this.host = (headers[':authority'] ?? headers.host) as string | undefined;
    this.scheme = headers[':scheme'] === 'https' ? 'https' : 'http';
  }

  sendError(f: Failure): number {
    const down = this.down;
    down.on('error', noop);
    const g = respondH2Error(down, f.status, f.reason, this.grpc);
    this.drainBody();
    return g;
  }

  sendRedirect(status: number, headers: string[]): void {
    const down = this.down;
    if (!down.destroyed && !down.closed) down.respond(headerObject(headers, { ':status': status }, false), END);
    this.drainBody();
  }

  onClientGone(gone: () => void): void {
    this.gone = gone;
    this.down.on('error', noop);
    this.down.once('close', gone);
  }

  forget(): void {
    if (this.gone !== undefined) this.down.off('close', this.gone);
    this.gone = undefined;
  }

  forward(ep: Endpoint, feedback: boolean, rb: RouteBackendMetrics | undefined, redispatch?: Redispatch): void {
    // a re-dispatch: the forward whose endpoint never got the stream hands it over
    const prev = this.fast;
    prev?.detach();
    const fwd = new StreamForward(
      this,
      this.client(ep),
      ep.series,
      feedback ? ep : undefined,
      rb,
      undefined,
      redispatch,
    );
    this.fast = fwd;
    fwd.run(this.headers, !this.hasBody, prev);
  }

  /** the body is whole: none, kept by the fast path's forward, or kept by the policy path */
  resendable(): boolean {
    const down = this.down;
    if (down.destroyed || down.closed || down.headersSent) return false;
    if (!this.hasBody) return true;
    const fast = this.fast;
    return fast !== undefined ? fast.bodyWhole() : !this.overflow;
  }

  private client(ep: Endpoint): H2Client {
    return (ep.h2 ??= this.clients.get(ep.endpoint.address, ep.endpoint.port, ep.serverId));
  }

  filterState(): RequestState {
    return { method: this.method, url: this.url, headers: flatRequestHeaders(this.headers) };
  }

  /**
   * The body is kept whatever `_keep` says (up to `MAX_REPLAY_BYTES`, until the response is committed):
   * a try that sent nothing goes to another endpoint with the body whole (redispatch.ts).
   */
  prepareBody(_keep: boolean, ready: () => void, whole: (body: Buffer | null | undefined) => void): void {
    if (!this.hasBody) {
      whole(null);
      ready();
      return;
    }
    this.keep = true;
    this.whole = whole;
    const length = Number(this.headers['content-length'] ?? -1);
    if (length > MAX_REPLAY_BYTES) this.overflowed();
    const down = this.down;
    down.on('data', this.onDownData);
    down.on('end', this.onDownEnd);
    down.on('trailers', this.onDownTrailers);
    // the body flows only while a try is in flight
    down.pause();
    ready();
  }

  replayable(): boolean {
    return !this.overflow && !this.down.destroyed && !this.down.closed;
  }

  newTry(ep: Endpoint, owner: TryOwner, rs: RequestState): Try {
    this.upHeaders ??= headerObject(
      rs.headers,
      { ':method': rs.method, ':path': rs.url, ':scheme': this.headers[':scheme'] ?? 'http' },
      true,
    );
    return new H2Try(this, ep, owner, this.client(ep));
  }

  /** H2Try: the try's stream is open: what was kept of the body first, then the rest as it comes */
  begin(fwd: StreamForward): void {
    this.current = fwd;
    fwd.run(this.upHeaders as OutgoingHttpHeaders, !this.hasBody);
    if (!this.hasBody || this.current !== fwd) return;
    const up = fwd.up;
    if (up === undefined || up.destroyed) return;
    for (const c of this.chunks) up.write(c);
    if (this.ended) up.end();
    else this.down.resume();
  }

  /** H2Try: the try is over without its response committed; the body waits for the next one */
  end(fwd: StreamForward): void {
    if (this.current !== fwd) return;
    this.current = undefined;
    if (this.hasBody && !this.ended) this.down.pause();
  }

  /** H2Try: the response is committed: nothing more to keep (unless the mirrors still wait for it) */
  committed(): void {
    if (this.whole === undefined) {
      this.keep = false;
      this.chunks = [];
    }
  }

  /** mirror diffing captures HTTP/1.1 answers only (docs/mirror-diff.md) */
  readonly diffable = false;

  sendMirror(backend: Backend, rs: RequestState, url: string, headers: string[], body: Buffer | null): void {
    const scheme = this.headers[':scheme'] ?? 'http';
    const h = headerObject(headers, { ':method': rs.method, ':path': url, ':scheme': scheme }, true);
    sendH2Mirror(this.ctx.policies.mirrors, this.clients, backend, h, body, this.trailers);
  }

  private overflowed(): void {
    this.keep = false;
    this.overflow = true;
    this.chunks = [];
    const whole = this.whole;
    this.whole = undefined;
    whole?.(undefined);
  }

  private readonly onDownData = (chunk: Buffer): void => {
    if (this.keep) {
      if (this.size + chunk.length > MAX_REPLAY_BYTES) this.overflowed();
      else {
        this.chunks.push(chunk);
        this.size += chunk.length;
      }
    }
    const up = this.current?.up;
    if (up === undefined || up.destroyed) {
      // between tries: wait for the next one (the chunk was kept); otherwise the request is over
      if (this.current === undefined) this.down.pause();
      return;
    }
    if (!up.write(chunk)) {
      this.down.pause();
      up.once('drain', this.resumeDown);
    }
  };

  private readonly resumeDown = (): void => {
    if (this.current !== undefined) this.down.resume();
  };

  private readonly onDownEnd = (): void => {
    this.ended = true;
    const whole = this.whole;
    this.whole = undefined;
    if (whole !== undefined && !this.overflow) {
      whole(this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks));
    }
    const up = this.current?.up;
    if (up !== undefined && !up.destroyed) up.end();
  };

  private readonly onDownTrailers = (trailers: IncomingHttpHeaders): void => {
    this.trailers = trailers as OutgoingHttpHeaders;
  };

  /** answered before the request body ended: read and drop the rest, so that the stream can close */
  private drainBody(): void {
    if (this.hasBody && !this.ended && !this.down.destroyed) this.down.resume();
  }
}

/** One HTTP/2 try: a `StreamForward` owned by the exchange through its transport. */
class H2Try implements Try, StreamOwner {
  private fwd: StreamForward | undefined;

  constructor(
    private readonly tp: H2Transport,
    readonly ep: Endpoint,
    private readonly owner: TryOwner,
    private readonly client: H2Client,
  ) {}

  get trailers(): OutgoingHttpHeaders | undefined {
    return this.tp.trailers;
  }

  get sidecar(): boolean {
    return this.ep.serverId !== undefined;
  }

  redispatch(f: Failure): boolean {
    return this.owner.redispatch(this, f);
  }

  start(): void {
    const fwd = new StreamForward(this.tp, this.client, this.ep.series, this.ep, this.owner.rb, this);
    this.fwd = fwd;
    this.tp.begin(fwd);
  }

  cancel(): void {
    const fwd = this.fwd;
    if (fwd === undefined) return;
    fwd.cancel();
    this.tp.end(fwd);
  }

  tryResponse(status: number): boolean {
    const forward = this.owner.tryResponse(this, status);
    if (forward) this.tp.committed();
    else this.tp.end(this.fwd as StreamForward);
    return forward;
  }

  tryFailed(f: Failure): void {
    this.tp.end(this.fwd as StreamForward);
    this.owner.tryFailed(this, f);
  }

  /** ResponseHeaderModifiers, backend's then rule's */
  responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
    const edits = this.owner.responseEdits;
    if (edits.length === 0) return headers as OutgoingHttpHeaders;
    let flat: string[] = [];
    flatInto(headers, flat, false);
    for (const e of edits) flat = applyHeaderEdit(flat, e);
    return headerObject(flat, { ':status': headers[':status'] }, false);
  }
}

const END = Object.freeze({ endStream: true });

function noop(): void {}
