import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { failedStatus, overloadMs, rawRetryAfter } from '../balance/outcome.js';
import { classify, ERR_CANCEL, ERR_NONE, PROXY_ERROR_HEADER, sidecarUnsent, type Failure } from '../errors.js';
import type { Series } from '../metrics.js';
import type { RouteBackendMetrics } from '../route-metrics.js';
import { endRequest, type RequestScope } from '../scope.js';
import type { ForwardObserver } from '../targets.js';
import type { Redispatch } from '../transport.js';
import { forwardResponseHeaders } from './headers.js';
import { sendProxyError } from './respond.js';

function uncork(res: ServerResponse): void {
  res.uncork();
}

const CLIENT_GONE = new Error('client closed the connection');

/**
 * The forwarding core: one plain object per request, given to undici's `dispatch()` as a (legacy,
 * unwrapped) handler. Response headers and chunks are written straight into the server response; the
 * first write of a response is corked until the next tick so that headers and a small body leave in
 * one write. No promises, streams or closures on the normal path.
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  /** the upstream status forwarded to the client (0 until then) */
  private forwarded = 0;
  private done = false;
  /** the request went to another endpoint: this response is read and dropped */
  private dropped = false;
  private resumeUpstream: (() => void) | null = null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private waitingDrain = false;
  /** the route `error` code (route-metrics.ts) when the response failed */
  private error = ERR_NONE;
  /** why the proxy answered or cut the response (for the trace span) */
  private reason: string | undefined = undefined;
  /** when the request was dispatched (only measured for an observer) */
  private readonly sentAt: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly series: Series,
    private readonly scope: RequestScope,
    private observer: ForwardObserver | undefined,
    /** the route rule's backend whose response this is (per-route metrics), if any */
    private readonly route: RouteBackendMetrics | undefined = undefined,
    /** the fast path: a request never sent goes to another endpoint (redispatch.ts) */
    private readonly redispatch: Redispatch | undefined = undefined,
  ) {
    this.sentAt = observer === undefined ? 0 : performance.now();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200 || this.dropped) return true;
    if (statusCode >= 502 && statusCode <= 504 && this.redispatch?.sidecar === true) {
      // the endpoint's sidecar could not connect to its app: nothing reached it (errors.ts)
      const f = sidecarUnsent(statusCode, rawHeaderValue(rawHeaders, PROXY_ERROR_HEADER));
      if (f !== undefined && this.sendAgain(f)) {
        // the answer is read and dropped; the connection stays for the next request
        this.dropped = true;
        return true;
      }
    }
    this.status = statusCode;
    this.forwarded = statusCode;
    if (this.observer !== undefined) {
      this.report(failedStatus(statusCode), statusCode === 429 ? overloadMs(statusCode, rawRetryAfter(rawHeaders)) : 0);
    }
    this.resumeUpstream = resume;
    const res = this.res;
    const headers = forwardResponseHeaders(rawHeaders, this.scope.inflight.draining);
    if (statusText) res.writeHead(statusCode, statusText, headers);
    else res.writeHead(statusCode, headers);
    res.cork();
    process.nextTick(uncork, res);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.dropped) return true;
    const res = this.res;
    if (res.write(chunk)) return true;
    if (res.destroyed) {
      this.abortUpstream?.(CLIENT_GONE);
      return false;
    }
    if (!this.waitingDrain) {
      this.waitingDrain = true;
      // slow path (backpressure): resume on drain, give up if the client goes away meanwhile
      const onDrain = () => {
        res.off('close', onClose);
        this.waitingDrain = false;
        this.resumeUpstream?.();
      };
      const onClose = () => {
        res.off('drain', onDrain);
        this.waitingDrain = false;
        if (!this.done) this.abortUpstream?.(CLIENT_GONE);
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    }
    return false;
  }

  onComplete(): void {
    if (this.dropped) return;
    this.res.end();
    this.finish(false);
  }

  onError(err: Error): void {
    if (this.done) return;
    if (err === CLIENT_GONE) {
      this.error = ERR_CANCEL;
      this.reason = CLIENT_GONE.message;
      if (this.observer !== undefined) this.report(undefined);
      this.res.destroy();
      this.finish(true);
      return;
    }
    const f = classify(err);
    if (f.unsent && this.redispatch !== undefined && this.status === 0 && this.sendAgain(f)) return;
    this.fail(f);
  }

  /**
   * Nothing reached the endpoint: the balancer and the endpoint's series hear of the failure, then
   * another endpoint may take the request (redispatch.ts); the route's metrics count what the client gets.
   */
  private sendAgain(f: Failure): boolean {
    if (this.observer !== undefined) this.report(true);
    if (!(this.redispatch as Redispatch).again(f)) return false;
    this.done = true;
    this.series.response(f.status, performance.now() - this.scope.start, true);
    return true;
  }

  /** the endpoint failed us: the proxy's answer, or the connection cut when the response had started */
  fail(f: Failure): void {
    if (this.done) return;
    this.error = f.error;
    this.reason = f.reason;
    if (!this.res.headersSent) this.status = f.status;
    sendProxyError(this.res, f, this.scope.inflight.draining);
    this.finish(true);
  }

  private finish(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    const latency = performance.now() - this.scope.start;
    this.series.response(this.status || 502, latency, failed);
    // per route: the status forwarded, none when the proxy answered with an error instead
    if (this.route !== undefined) this.route.response(this.forwarded, latency, this.error);
    if (this.observer !== undefined) this.report(failed);
    endRequest(this.scope, this.status || 502, -1, failed ? (this.reason ?? 'response failed') : undefined);
  }

  /** the balancer's feedback, once */
  private report(failed: boolean | undefined, overload = 0): void {
    const o = this.observer as ForwardObserver;
    this.observer = undefined;
    o.done(performance.now() - this.sentAt, failed, overload);
  }
}

/** the value of header `name` (lower case) in undici's raw header list, or undefined */
export function rawHeaderValue(raw: ReadonlyArray<Buffer | string>, name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i] as Buffer | string;
    if (n.length === name.length && n.toString().toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}
