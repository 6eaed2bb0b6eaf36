import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { failedStatus, overloadMs, rawRetryAfter } from '../balance/outcome.js';
import { applyHeaderEdit, headerStrings } from '../filters/header-modifier.js';
import type { RequestState } from '../filters/state.js';
import { classify, PROXY_ERROR_HEADER, sidecarUnsent } from '../errors.js';
import type { RequestScope } from '../scope.js';
import type { Endpoint } from '../targets.js';
import type { Try, TryOwner } from '../transport.js';
import { ForwardHandler, rawHeaderValue } from './forward.js';

const WAITING = 0;
const FORWARDING = 1;
const DROPPED = 2;

/**
 * One HTTP/1.1 try, the undici handler of its dispatch. Until its response headers it reports to its
 * owner (the exchange); a response that is forwarded is handed to a `ForwardHandler` (streaming,
 * back-pressure, metrics); a response that is retried, or a try that was cancelled, is read and dropped.
 * The balancer hears of the try's outcome here, at its response headers or its failure.
 */
export class Attempt implements Try, Dispatcher.DispatchHandler {
  private state = WAITING;
  private sentAt = 0;
  private fwd: ForwardHandler | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private cancelled = false;

  constructor(
    private readonly tp: { readonly res: ServerResponse; readonly ctx: RequestScope },
    private readonly owner: TryOwner,
    readonly ep: Endpoint,
    private readonly rs: RequestState,
    private readonly body: Buffer | AsyncIterable<Buffer> | IncomingMessage | null,
  ) {}

  start(): void {
    const rs = this.rs;
    this.sentAt = performance.now();
    this.ep.pool.dispatch(
      {
        path: rs.url,
        method: rs.method as Dispatcher.HttpMethod,
        headers: rs.headers,
        body: this.body as Dispatcher.DispatchOptions['body'],
      },
      this,
    );
  }

  cancel(): void {
    this.state = DROPPED;
    if (this.abort !== undefined) this.abort(CANCELLED);
    else this.cancelled = true;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.cancelled) abort(CANCELLED);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.state !== WAITING || statusCode < 200) return true;
    const overload = statusCode === 429 ? overloadMs(statusCode, rawRetryAfter(rawHeaders)) : 0;
    this.ep.done(performance.now() - this.sentAt, failedStatus(statusCode), overload);
    if (statusCode >= 502 && statusCode <= 504 && this.ep.serverId !== undefined) {
      // the endpoint's sidecar could not connect to its app: nothing reached it (errors.ts)
      const f = sidecarUnsent(statusCode, rawHeaderValue(rawHeaders, PROXY_ERROR_HEADER));
      if (f !== undefined && this.owner.redispatch(this, f)) {
        this.state = DROPPED;
        return true;
      }
    }
    if (!this.owner.tryResponse(this, statusCode)) {
      this.state = DROPPED;
      return true;
    }
    this.state = FORWARDING;
    this.owner.primaryCapture?.head(statusCode, rawHeaders);
    const tp = this.tp;
    // the balancer heard of this try above: no observer
    const fwd = new ForwardHandler(tp.res, this.ep.series, tp.ctx, undefined, this.owner.rb);
    this.fwd = fwd;
    if (this.abort !== undefined) fwd.onConnect(this.abort);
    const edits = this.owner.responseEdits;
    let headers: Buffer[] | string[] = rawHeaders;
    if (edits.length > 0) {
      let h = headerStrings(rawHeaders);
      for (const e of edits) h = applyHeaderEdit(h, e);
      headers = h;
    }
    return fwd.onHeaders(statusCode, headers, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.fwd === undefined) return true;
    this.owner.primaryCapture?.data(chunk);
    return this.fwd.onData(chunk);
  }

  onComplete(): void {
    if (this.fwd === undefined) return;
    this.fwd.onComplete();
    this.owner.primaryCapture?.end();
  }

  onError(err: Error): void {
    if (this.fwd !== undefined) {
      this.owner.primaryCapture?.fail();
      this.fwd.onError(err);
    } else if (this.state === WAITING) {
      this.state = DROPPED;
      this.ep.done(performance.now() - this.sentAt, true);
      this.owner.tryFailed(this, classify(err));
    }
  }
}

/** the reason given to undici for a cancelled try (its outcome was accounted for by the owner) */
const CANCELLED = Object.assign(new Error('try cancelled'), { code: 'WEIR_TRY_CANCELLED' });
