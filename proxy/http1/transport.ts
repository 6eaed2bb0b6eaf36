import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Failure } from '../errors.js';
import type { RequestState } from '../filters/state.js';
import type { AnswerCapture } from '../mirror-diff/capture.js';
import { MAX_REPLAY_BYTES } from '../retry.js';
import type { RouteBackendMetrics } from '../route-metrics.js';
import type { Backend, Endpoint } from '../targets.js';
import type { Redispatch, RequestContext, Transport, Try, TryOwner } from '../transport.js';
import { Attempt } from './attempt.js';
import { ForwardHandler } from './forward.js';
import { forwardRequestHeaders, type RequestHeadInfo } from './headers.js';
import { sendHttp1Mirror } from './mirror.js';
import { contentLength, readReplayableBody } from './replay-body.js';
import { sendProxyError } from './respond.js';

/**
 * One HTTP/1.1 request as the stack sees it (transport.ts): the request read from node:http, tries sent
 * over the endpoint's undici pool, answers written to the `ServerResponse`. The request headers are
 * scanned once (hop-by-hop headers dropped, `hasBody` and `host` learnt).
 */
export class Http1Transport implements Transport, RequestHeadInfo {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly grpc = false;
  readonly scheme = 'http';
  readonly diffable = true;
  hasBody = false;
  host: string | undefined = undefined;
  /** the request headers sent upstream as received (hop-by-hop removed) */
  readonly upHeaders: string[];
  /** the body for the tries: none, the request stream (sent once), or kept whole */
  private body: Buffer | AsyncIterable<Buffer> | IncomingMessage | null = null;
  private kept = true;
  /**
   * the fast path's body, read whole before it went to a meshed endpoint (a sidecar may answer that its app
   * never got it, after reading it: errors.ts `sidecarUnsent`), so that it can go to another one
   */
  private fastBody: Buffer | undefined = undefined;
  private gone: (() => void) | undefined;

  constructor(
    readonly ctx: RequestContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.method = req.method as string;
    this.url = req.url as string;
    this.headers = req.headers;
    this.upHeaders = forwardRequestHeaders(req.rawHeaders, this);
  }

  sendError(f: Failure): number {
    sendProxyError(this.res, f, this.ctx.inflight.draining);
    return -1;
  }

  sendRedirect(status: number, headers: string[]): void {
    const res = this.res;
    if (res.destroyed || res.headersSent) return;
    headers.push('content-length', '0');
    if (this.ctx.inflight.draining) headers.push('connection', 'close');
    res.writeHead(status, headers);
    res.end();
  }

  onClientGone(gone: () => void): void {
    this.gone = gone;
    this.res.once('close', gone);
  }

  forget(): void {
    if (this.gone !== undefined) this.res.off('close', this.gone);
    this.gone = undefined;
  }

  forward(ep: Endpoint, feedback: boolean, rb: RouteBackendMetrics | undefined, redispatch?: Redispatch): void {
    const req = this.req;
    if (this.hasBody && this.fastBody === undefined && redispatch !== undefined && this.keepsForMesh(ep)) {
      // a small body to a sidecar: read whole first (it mostly came with the headers), kept for a re-dispatch
      readReplayableBody(req, MAX_REPLAY_BYTES, (body, whole) => {
        if (whole) this.fastBody = body as Buffer;
        // the client gone meanwhile: the stream, which fails the request as it always did
        this.send(ep, feedback, rb, redispatch, body ?? req);
      });
      return;
    }
    this.send(ep, feedback, rb, redispatch, this.hasBody ? (this.fastBody ?? req) : null);
  }

  /** a meshed endpoint, a body of known length within the replay limit, not read yet */
  private keepsForMesh(ep: Endpoint): boolean {
    if (ep.serverId === undefined || this.body !== null || this.req.readableDidRead) return false;
    const n = contentLength(this.req);
    return n >= 0 && n <= MAX_REPLAY_BYTES;
  }

  private send(
    ep: Endpoint,
    feedback: boolean,
    rb: RouteBackendMetrics | undefined,
    redispatch: Redispatch | undefined,
    body: Buffer | AsyncIterable<Buffer> | IncomingMessage | null,
  ): void {
    ep.pool.dispatch(
      {
        path: this.url,
        method: this.method as Dispatcher.HttpMethod,
        headers: this.upHeaders,
        body: body as Dispatcher.DispatchOptions['body'],
      },
      new ForwardHandler(this.res, ep.series, this.ctx, feedback ? ep : undefined, rb, redispatch),
    );
  }

  /**
   * The body is whole when it is kept (policy path, retries or mirrors; the fast path's to a meshed
   * endpoint, up to `MAX_REPLAY_BYTES` with a Content-Length), or not read at all yet: undici
   * reads a stream body only once it has a connection, so a refused connection leaves it untouched.
   * A body read in part (past `MAX_REPLAY_BYTES` while kept, or sent to an endpoint) is not.
   */
  resendable(): boolean {
    const res = this.res;
    if (res.destroyed || res.headersSent) return false;
    if (!this.hasBody) return true;
    const body = this.body;
    const req = this.req;
    // the policy path's body: kept whole, or a stream of what was read past the limit
    if (body !== null && body !== req) return this.kept;
    // the fast path's body kept for a meshed endpoint
    if (this.fastBody !== undefined) return true;
    // the request stream itself (the fast path, or not kept)
    return !req.readableDidRead && !req.destroyed;
  }

  filterState(): RequestState {
    return { method: this.method, url: this.url, headers: this.upHeaders };
  }

  prepareBody(
    keep: boolean,
    ready: () => void,
    whole: (body: Buffer | null | undefined) => void,
    lost: () => void,
  ): void {
    if (!this.hasBody) {
      whole(null);
      ready();
      return;
    }
    const req = this.req;
    if (!keep || contentLength(req) > MAX_REPLAY_BYTES) {
      this.body = req;
      this.kept = false;
      whole(undefined);
      ready();
      return;
    }
    readReplayableBody(req, MAX_REPLAY_BYTES, (body, replayable) => {
      if (body === undefined) {
        lost();
        return;
      }
      this.body = body;
      this.kept = replayable;
      whole(replayable ? (body as Buffer) : undefined);
      ready();
    });
  }

  replayable(): boolean {
    return this.kept && !this.res.destroyed;
  }

  newTry(ep: Endpoint, owner: TryOwner, rs: RequestState): Try {
    return new Attempt(this, owner, ep, rs, this.body);
  }

  sendMirror(
    backend: Backend,
    rs: RequestState,
    url: string,
    headers: string[],
    body: Buffer | null,
    capture?: AnswerCapture,
  ): void {
    sendHttp1Mirror(this.ctx.policies.mirrors, backend, rs.method, url, headers, body, capture);
  }
}
