import { performance } from 'node:perf_hooks';
import type {
  CompiledFilters,
  CompiledMirror,
  CompiledRule,
  HeaderEdit,
  RetryPolicy,
} from '../engine/routing/index.js';
import type { Waiter } from './balance/queue.js';
import {
  backendInvalid,
  badRequest,
  BACKEND_REQUEST_TIMEOUT,
  ERR_CANCEL,
  ERR_NONE,
  exhausted,
  REQUEST_TIMEOUT,
  RETRY_ANY,
  RETRY_NEVER,
  type Failure,
} from './errors.js';
import { corsEdit } from './filters/cors-response.js';
import { runFilterSteps } from './filters/run.js';
import type { RequestState } from './filters/state.js';
import type { Series } from './metrics.js';
import { endRequest } from './scope.js';
import { tapEndpoint } from './tap/open.js';
import { backoffMs, isIdempotent, mayRetry } from './retry.js';
import { anotherEndpoint, mayRedispatch } from './redispatch.js';
import type { RouteBackendMetrics, RuleMetrics } from './route-metrics.js';
import { answerLocally, answerPreflight, answerRedirect } from './answer.js';
import type { Backend, Endpoint } from './targets.js';
import type { AnswerCapture } from './mirror-diff/capture.js';
import { DiffSession } from './mirror-diff/session.js';
import type { Transport, Try, TryOwner } from './transport.js';

/**
 * The policy path of one request whose rule has filters, timeouts, retries or mirrors (a plain rule
 * takes `serve.ts`'s fast path), the same for HTTP/1.1, HTTP/2 and gRPC; the protocol is the
 * `Transport`'s. One `Exchange` per request:
 *
 * 1. the rule's filters run in the order listed (header edits, URLRewrite, mirrors sampled; a
 *    RequestRedirect or an unsupported filter answers at once);
 * 2. a backend is picked by weight, then that backend's own filters run;
 * 3. the body is made ready: when the rule retries or mirrors, it is kept (up to `MAX_REPLAY_BYTES`)
 *    so that the next try or a mirror gets it again; a larger body is never retried nor mirrored;
 * 4. mirrors are sent once the whole body is known; tries go one after the other: each picks an
 *    endpoint (waiting in the backend's queue when none is available now), is bounded by
 *    `backendRequest`, and is retried (status in `codes`, or a failure `classify()` calls retryable for
 *    the method) while the rule's attempts and the retry budget allow, after a jittered backoff; a try
 *    that sent nothing (its endpoint refused the connection...) goes at once to another endpoint, outside
 *    the attempts and the budget (redispatch.ts);
 * 5. the first response not retried is streamed to the client by the try, with the
 *    ResponseHeaderModifiers applied (backend's, then rule's); `timeouts.request` bounds everything up
 *    to its headers. Once retries are used up, a connection-level failure answers 503.
 *
 * Every try is counted on its endpoint's golden metrics and on the route's backend metrics, so retries
 * show up as traffic to the backend; answers made here are counted on the listener's or the backend's
 * series.
 */
export class Exchange implements TryOwner, Waiter<Endpoint> {
  private state = PENDING;
  private readonly rs: RequestState;
  private readonly retry: RetryPolicy | undefined;
  private target: Backend | undefined;
  private backendFilters: CompiledFilters | undefined;
  private mirrors: PendingMirror[] | undefined;
  private retries = 0;
  /** tries sent again to another endpoint because they sent nothing (redispatch.ts) */
  private redispatches = 0;
  /** the try in flight, until its response is forwarded */
  private current: Try | undefined;
  /** when the current try was sent */
  private sentAt = 0;
  /** waiting in the backend's endpoint queue */
  private queued = false;
  private requestTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** the rule's route metrics, and those of the backend picked */
  private readonly rm: RuleMetrics | undefined;
  rb: RouteBackendMetrics | undefined;
  responseEdits: readonly HeaderEdit[] = NO_EDITS;
  /** the forwarded response, copied for a mirror diff */
  primaryCapture: AnswerCapture | undefined;

  constructor(
    private readonly tp: Transport,
    private readonly rule: CompiledRule,
  ) {
    this.rs = tp.filterState();
    this.retry = rule.policy?.retry;
    this.rm = tp.ctx.st.ruleMetrics.get(rule);
  }

  run(): void {
    const tp = this.tp;
    const st = tp.ctx.st;
    tp.onClientGone(() => this.clientGone());
    const requestMs = this.rule.policy?.requestTimeoutMs ?? 0;
    if (requestMs > 0) this.requestTimer = setTimeout(onRequestTimeout, requestMs, this);

    const rf = this.rule.filters;
    if (rf !== undefined && !this.runFilters(rf, undefined)) return;
    const backend = this.rule.pick();
    if (backend.failStatus !== 0 || backend.target === undefined) {
      const t = backend.target !== undefined ? st.targets[backend.target.index] : undefined;
      this.local(backendInvalid(backend.reason, backend.failStatus), t?.series ?? st.series);
      return;
    }
    this.target = st.targets[backend.target.index] as Backend;
    this.rb = this.rm?.backend(backend.target.index);
    this.backendFilters = backend.filters;
    if (backend.filters !== undefined && !this.runFilters(backend.filters, rf)) return;
    const edits: HeaderEdit[] = [];
    if (backend.filters?.response !== undefined) edits.push(backend.filters.response);
    if (rf?.response !== undefined) edits.push(rf.response);
    const cors = this.rs.corsResponse;
    if (cors !== undefined) edits.push(corsEdit(cors));
    if (edits.length > 0) this.responseEdits = edits;

    if (this.retry !== undefined) tp.ctx.policies.budget(this.rule).deposit();
    tp.prepareBody(
      this.retry !== undefined || this.mirrors !== undefined,
      () => this.attempt(),
      (body) => this.sendMirrors(body),
      () => this.local(badRequest('client closed the request before its body ended'), this.backendSeries()),
    );
  }

  /** run one filter list; false when it answered the request */
  private runFilters(f: CompiledFilters, ruleFilters: CompiledFilters | undefined): boolean {
    const tp = this.tp;
    const s = runFilterSteps(f, this.rs, tp.ctx.policies.random, this.onMirror);
    if (s === undefined) return true;
    const st = tp.ctx.st;
    if (s.kind === 'fail') {
      this.local(backendInvalid(s.reason, s.status), st.series);
      return false;
    }
    this.finish();
    const edits = [f.response, ruleFilters?.response];
    const status =
      s.kind === 'cors'
        ? answerPreflight(tp, s.cors, this.rs, edits)
        : answerRedirect(tp, s.redirect, this.rs.url, edits);
    this.rm?.route.request(status, performance.now() - tp.ctx.start, ERR_NONE, tp.grpc ? 0 : -1);
    return false;
  }

  private readonly onMirror = (m: CompiledMirror, url: string, headers: string[]): void => {
    const target = this.tp.ctx.st.targets[(m.backend.target as { index: number }).index] as Backend;
    (this.mirrors ??= []).push({ mirror: m, target, url, headers });
  };

  /** the whole body is known (undefined: it was too large to keep): send the mirrors */
  private sendMirrors(body: Buffer | null | undefined): void {
    const ms = this.mirrors;
    this.mirrors = undefined;
    if (ms === undefined || body === undefined) return;
    for (const m of ms) this.tp.sendMirror(m.target, this.rs, m.url, m.headers, body, this.diffCapture(m, body));
  }

  /**
   * Mirror diff (mirror-diff/): for the first mirror of the request whose route asks for it, the primary's
   * answer is copied as it is forwarded and the mirror's reply kept instead of dropped; for a sampled
   * fraction of GET and HEAD requests (idempotent: sending them twice is harmless) the primary is asked a
   * second time, for the noise filter. Returns the mirror reply's capture, if any.
   */
  private diffCapture(m: PendingMirror, body: Buffer | null): AnswerCapture | undefined {
    const diff = m.mirror.diff;
    const primary = this.target;
    const tp = this.tp;
    if (diff === undefined || !tp.diffable || this.primaryCapture !== undefined) return undefined;
    if (primary === undefined || primary === m.target) return undefined;
    const policies = tp.ctx.policies;
    const rs = this.rs;
    const idempotent = rs.method === 'GET' || rs.method === 'HEAD';
    const second = idempotent && diff.noiseSample > 0 && policies.random() < diff.noiseSample;
    const session = new DiffSession(
      policies.mirrorDiffs,
      {
        route: m.mirror.route ?? '',
        primaryNamespace: primary.target.namespace,
        primaryService: primary.target.service,
        mirrorNamespace: m.target.target.namespace,
        mirrorService: m.target.target.service,
      },
      diff,
      rs.method,
      rs.url,
      second,
    );
    this.primaryCapture = session.primaryCapture();
    if (second) tp.sendMirror(primary, rs, rs.url, rs.headers, body, session.secondCapture());
    return session.mirrorCapture();
  }

  // ---- tries

  /** the next try: an endpoint now, or a wait in the backend's queue */
  private attempt(): void {
    if (this.state !== PENDING) return;
    const t = this.target as Backend;
    const ep = t.balancer.pick();
    if (ep !== undefined) this.serve(ep);
    else {
      this.queued = true;
      t.queue.wait(this);
    }
  }

  /** Waiter: an endpoint for the next try */
  serve(ep: Endpoint): void {
    this.queued = false;
    if (this.state !== PENDING) {
      ep.done(0, undefined);
      return;
    }
    ep.series.request();
    if (this.tp.ctx.tap !== undefined) tapEndpoint(this.tp.ctx, ep);
    this.sentAt = performance.now();
    const backendMs = this.rule.policy?.backendRequestTimeoutMs ?? 0;
    const t = this.tp.newTry(ep, this, this.rs);
    this.current = t;
    if (backendMs > 0) this.attemptTimer = setTimeout(onAttemptTimeout, backendMs, this, t);
    t.start();
  }

  /** Waiter: no endpoint in time */
  fail(f: Failure): void {
    this.queued = false;
    if (this.state !== PENDING) return;
    this.local(f, this.backendSeries());
  }

  /** TryOwner: response headers of try `t` */
  tryResponse(t: Try, status: number): boolean {
    if (this.state !== PENDING || t !== this.current) return true;
    this.attemptTimer = clearTimer(this.attemptTimer);
    const retry = this.retry;
    if (retry !== undefined && retry.retriesStatus(status) && this.canRetry()) {
      const ms = performance.now() - this.tp.ctx.start;
      t.ep.series.response(status, ms, false);
      this.rb?.tryResponse(status, ms, ERR_NONE);
      this.scheduleRetry();
      return false;
    }
    if (this.retries > 0 && status < 500 && this.rm !== undefined) this.rm.route.retrySuccesses++;
    this.state = COMMITTED;
    this.current = undefined;
    this.tp.forget();
    this.requestTimer = clearTimer(this.requestTimer);
    return true;
  }

  /** TryOwner: try `t` failed before its response headers (it has told the balancer) */
  tryFailed(t: Try, f: Failure): void {
    if (this.state !== PENDING || t !== this.current) return;
    if (this.redispatch(t, f)) return;
    this.attemptTimer = clearTimer(this.attemptTimer);
    this.current = undefined;
    if (this.retry !== undefined && this.retryable(f) && this.canRetry()) {
      const ms = performance.now() - this.tp.ctx.start;
      t.ep.series.response(f.status, ms, true);
      this.rb?.tryResponse(-1, ms, f.error);
      this.scheduleRetry();
      return;
    }
    this.answerAfterTry(t.ep, this.retries > 0 ? exhausted(f) : f);
  }

  /**
   * TryOwner: nothing of try `t` reached its endpoint (it has told the balancer): another endpoint, at
   * once, outside the retry policy and budget (redispatch.ts)
   */
  redispatch(t: Try, f: Failure): boolean {
    if (this.state !== PENDING || t !== this.current) return false;
    if (!mayRedispatch(f, this.redispatches) || !this.tp.resendable()) return false;
    const next = anotherEndpoint(this.target as Backend, t.ep);
    if (next === undefined) return false;
    this.attemptTimer = clearTimer(this.attemptTimer);
    this.current = undefined;
    this.redispatches++;
    t.ep.series.response(f.status, performance.now() - this.tp.ctx.start, true);
    this.serve(next);
    return true;
  }

  private retryable(f: Failure): boolean {
    return f.retry === RETRY_ANY || (f.retry !== RETRY_NEVER && isIdempotent(this.tp.method));
  }

  onAttemptTimeout(t: Try): void {
    this.attemptTimer = undefined;
    if (this.state !== PENDING || t !== this.current) return;
    t.cancel();
    t.ep.done(performance.now() - this.sentAt, true);
    this.tryFailed(t, BACKEND_REQUEST_TIMEOUT);
  }

  onRequestTimeout(): void {
    this.requestTimer = undefined;
    if (this.state !== PENDING) return;
    const t = this.current;
    if (t !== undefined) {
      // the try in flight is cancelled and the client gets 504 at once
      this.current = undefined;
      t.cancel();
      t.ep.done(performance.now() - this.sentAt, true);
      this.answerAfterTry(t.ep, REQUEST_TIMEOUT);
      return;
    }
    this.local(REQUEST_TIMEOUT, this.backendSeries());
  }

  private canRetry(): boolean {
    if (!this.tp.replayable()) return false;
    return mayRetry(this.retry as RetryPolicy, this.retries, this.tp.ctx.policies.budget(this.rule), this.rm?.route);
  }

  private scheduleRetry(): void {
    this.retries++;
    if (this.rm !== undefined) this.rm.route.retries++;
    this.current = undefined;
    const delay = backoffMs(this.retry as RetryPolicy, this.retries, this.tp.ctx.policies.random);
    this.backoffTimer = setTimeout(onBackoff, delay, this);
  }

  onBackoff(): void {
    this.backoffTimer = undefined;
    this.attempt();
  }

  /** the client went away while no try was forwarding a response */
  private clientGone(): void {
    if (this.state !== PENDING || this.current !== undefined) return;
    this.finish();
    this.routeOutcome(ERR_CANCEL);
    endRequest(this.tp.ctx, 0, -1, 'cancelled by the client');
  }

  // ---- answers made here

  /** the answer to a try that failed (counted on its endpoint), once no retry is left */
  private answerAfterTry(ep: Endpoint, f: Failure): void {
    this.finish();
    const tp = this.tp;
    const g = tp.sendError(f);
    const ms = performance.now() - tp.ctx.start;
    ep.series.response(tp.grpc ? 200 : f.status, ms, true, g);
    this.routeOutcome(f.error);
    endRequest(tp.ctx, tp.grpc ? 200 : f.status, g, f.reason);
  }

  /** an answer made without a try, counted on `series` */
  private local(f: Failure, series: Series): void {
    this.finish();
    answerLocally(this.tp, f, series);
    this.routeOutcome(f.error);
  }

  /** per route: the request ended without a response forwarded (on the backend's metrics once one was picked) */
  private routeOutcome(error: number): void {
    const ms = performance.now() - this.tp.ctx.start;
    if (this.rb !== undefined) this.rb.response(-1, ms, error);
    else this.rm?.route.request(-1, ms, error);
  }

  private backendSeries(): Series {
    return this.target?.series ?? this.tp.ctx.st.series;
  }

  /** no more tries, no more timers, no more queue */
  private finish(): void {
    this.state = DONE;
    // no response was forwarded: nothing to compare
    this.primaryCapture?.fail();
    this.requestTimer = clearTimer(this.requestTimer);
    this.attemptTimer = clearTimer(this.attemptTimer);
    this.backoffTimer = clearTimer(this.backoffTimer);
    if (this.queued) (this.target as Backend).queue.cancel(this);
    this.queued = false;
    this.tp.forget();
  }
}

const PENDING = 0;
const COMMITTED = 1;
const DONE = 2;
const NO_EDITS: readonly HeaderEdit[] = [];

interface PendingMirror {
  mirror: CompiledMirror;
  target: Backend;
  url: string;
  headers: string[];
}

function clearTimer(t: NodeJS.Timeout | undefined): undefined {
  if (t !== undefined) clearTimeout(t);
  return undefined;
}

function onRequestTimeout(ex: Exchange): void {
  ex.onRequestTimeout();
}
function onAttemptTimeout(ex: Exchange, t: Try): void {
  ex.onAttemptTimeout(t);
}
function onBackoff(ex: Exchange): void {
  ex.onBackoff();
}
