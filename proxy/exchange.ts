import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type {
  CompiledFilters,
  CompiledMirror,
  CompiledRule,
  RetryPolicy,
  RoutedBackend,
  ServicePortRef,
} from '../engine/routing/index.js';
import type { Inflight } from './drain.js';
import { NO_ENDPOINT, sendProxyError, upstreamFailure } from './errors.js';
import { applyHeaderEdit, headerStrings } from './filters/header-modifier.js';
import { sendRedirect } from './filters/redirect.js';
import { runFilterSteps } from './filters/run.js';
import type { RequestState } from './filters/state.js';
import { ForwardHandler, headInfo, requestHeaders, respondLocally } from './forward.js';
import type { Series } from './metrics.js';
import { MirrorSender, type MirrorTarget } from './mirror.js';
import { contentLength, readReplayableBody } from './replay-body.js';
import { backoffMs, MAX_REPLAY_BYTES, mayRetry, retryableError } from './retry.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
import {
  ERR_NONE,
  ERR_REQUEST_TIMEOUT,
  localRouteError,
  routeErrorOf,
  type RouteBackendMetrics,
  type RuleMetrics,
} from './route-metrics.js';
import { BACKEND_REQUEST_TIMEOUT, clearTimer, REQUEST_TIMEOUT } from './timeouts.js';

/**
 * The request path of a rule that has filters, timeouts or retries (rules without any take the
 * plain path in `outbound.ts`). One `Exchange` per request:
 *
 * 1. the rule's filters run in the order listed (header edits, URLRewrite, mirrors sampled, a
 *    RequestRedirect or an unsupported filter answers at once);
 * 2. a backend is picked by weight, then that backend's own filters run;
 * 3. when the rule retries or mirrors, a small body (<= 64 KiB) is buffered first;
 * 4. mirrors are sent, then tries: each picks an endpoint, is bounded by `backendRequest`, and may be
 *    retried (status in `codes`, or a connection error / per-try timeout) while the retry budget allows;
 * 5. the first response not retried is streamed to the client by a `ForwardHandler`, with the
 *    ResponseHeaderModifiers applied; `timeouts.request` bounds everything up to its headers.
 *
 * Every try is counted in its endpoint's golden metrics (request and response), so retries show up
 * as traffic to the backend; answers made here (redirect, 503, 504 while backing off) are counted on
 * the listener's or the backend's series as the plain path does.
 */

/** an endpoint as the exchange uses it (outbound's `EndpointRoute`) */
export interface EndpointLike {
  readonly pool: Dispatcher;
  readonly series: Series;
  /** balancer feedback, once per try: rtt from dispatch to the outcome, failed (5xx or error; undefined: unused) */
  done(rttMs: number, failed: boolean | undefined): void;
}
/** waits for an endpoint when none is available now (outbound's `EndpointQueue`) */
export interface EndpointWaiter {
  serve(endpoint: EndpointLike): void;
  fail(status: number, reason: string): void;
}
/** a backend Service port as the exchange uses it (outbound's `TargetRuntime`) */
export interface TargetLike extends MirrorTarget {
  readonly target: { readonly key: string };
  readonly balancer: { pick(): EndpointLike | undefined };
  readonly queue?: { wait(w: EndpointWaiter): void; cancel(w: EndpointWaiter): boolean };
  readonly series: Series;
}
/** what a listener routes with (outbound's `ListenerState`) */
export interface ListenerLike {
  readonly table: { readonly parent: ServicePortRef };
  readonly targets: readonly TargetLike[];
  readonly series: Series;
  /** per-route and per-backend metrics (route-metrics.ts), by rule */
  readonly ruleMetrics?: ReadonlyMap<CompiledRule, RuleMetrics>;
}

export interface RoutePolicyOptions {
  retryBudget?: RetryBudgetOptions;
  /** for mirror sampling and backoff jitter (default Math.random) */
  random?: () => number;
  /** copies in flight to all mirrors before more are dropped (default 256) */
  mirrorMaxInflight?: number;
  /** headers and body timeout of a mirrored copy (default 10 s) */
  mirrorTimeoutMs?: number;
}

/** Per-proxy state of the policy path: retry budgets per rule, and the mirror sender. */
export class RoutePolicies {
  readonly mirrors: MirrorSender;
  readonly random: () => number;
  private readonly budgetOptions: RetryBudgetOptions;
  /** budgets by `route#rule`, so that they outlive snapshots */
  private readonly budgets = new Map<string, RetryBudget>();
  private readonly byRule = new WeakMap<CompiledRule, RetryBudget>();

  constructor(o: RoutePolicyOptions = {}) {
    this.mirrors = new MirrorSender(o.mirrorMaxInflight, o.mirrorTimeoutMs);
    this.random = o.random ?? Math.random;
    this.budgetOptions = o.retryBudget ?? {};
  }

  budget(rule: CompiledRule): RetryBudget {
    let b = this.byRule.get(rule);
    if (b === undefined) {
      const key = `${rule.route ?? ''}#${rule.ruleIndex}`;
      b = this.budgets.get(key);
      if (b === undefined) {
        if (this.budgets.size >= 4096) this.budgets.clear();
        b = new RetryBudget(this.budgetOptions);
        this.budgets.set(key, b);
      }
      this.byRule.set(rule, b);
    }
    return b;
  }
}

/** Serve `req` by `rule`, which is not `plain`. The caller has counted it in `inflight`. */
export function serveRule(
  policies: RoutePolicies,
  st: ListenerLike,
  rule: CompiledRule,
  req: IncomingMessage,
  res: ServerResponse,
  start: number,
  inflight: Inflight,
): void {
  new Exchange(policies, st, rule, req, res, start, inflight).run();
}

const PENDING = 0;
const COMMITTED = 1;
const DONE = 2;

interface PendingMirror {
  target: TargetLike;
  url: string;
  headers: string[];
}

class Exchange implements EndpointWaiter {
  state = PENDING;
  private readonly rs: RequestState;
  private readonly retry: RetryPolicy | undefined;
  private target: TargetLike | undefined;
  private backendFilters: CompiledFilters | undefined;
  private mirrors: PendingMirror[] | undefined;
  private body: Buffer | AsyncIterable<Buffer> | IncomingMessage | null = null;
  private replayable = true;
  private retries = 0;
  private current: Attempt | undefined;
  /** waiting in the backend's endpoint queue */
  private queued = false;
  private requestTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** the rule's route metrics, and those of the backend picked */
  private readonly rm: RuleMetrics | undefined;
  rb: RouteBackendMetrics | undefined;

  constructor(
    private readonly policies: RoutePolicies,
    private readonly st: ListenerLike,
    private readonly rule: CompiledRule,
    private readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly start: number,
    readonly inflight: Inflight,
  ) {
    this.rs = { method: req.method as string, url: req.url as string, headers: [] };
    this.retry = rule.policy?.retry;
    this.rm = st.ruleMetrics?.get(rule);
  }

  run(): void {
    const req = this.req;
    this.rs.headers = requestHeaders(req);
    const hasBody = headInfo().hasBody;
    const requestMs = this.rule.policy?.requestTimeoutMs ?? 0;
    if (requestMs > 0) this.requestTimer = setTimeout(onRequestTimeout, requestMs, this);

    const rf = this.rule.filters;
    if (rf !== undefined && !this.runFilters(rf, undefined)) return;
    const backend: RoutedBackend = this.rule.pick();
    if (backend.failStatus !== 0 || backend.target === undefined) {
      const t = backend.target !== undefined ? this.st.targets[backend.target.index] : undefined;
      this.local(backend.failStatus, backend.reason, t?.series ?? this.st.series);
      return;
    }
    this.target = this.st.targets[backend.target.index] as TargetLike;
    this.rb = this.rm?.backend(backend.target.index);
    this.backendFilters = backend.filters;
    if (backend.filters !== undefined && !this.runFilters(backend.filters, rf)) return;

    if (!hasBody) {
      this.begin();
    } else if ((this.retry === undefined && this.mirrors === undefined) || contentLength(req) > MAX_REPLAY_BYTES) {
      this.body = req;
      this.replayable = false;
      this.begin();
    } else {
      readReplayableBody(req, MAX_REPLAY_BYTES, (body, replayable) => {
        if (this.state !== PENDING) return;
        if (body === undefined) {
          this.local(400, 'client closed the request before its body ended', this.target?.series ?? this.st.series);
          return;
        }
        this.body = body;
        this.replayable = replayable;
        this.begin();
      });
    }
  }

  /** run one filter list; false when it answered the request */
  private runFilters(f: CompiledFilters, ruleFilters: CompiledFilters | undefined): boolean {
    const rs = this.rs;
    const s = runFilterSteps(f, rs, this.policies.random, this.onMirror);
    if (s === undefined) return true;
    if (s.kind === 'fail') {
      this.local(s.status, s.reason, this.st.series);
      return false;
    }
    const parent = this.st.table.parent;
    const location = s.redirect.location({
      url: rs.url,
      host: this.req.headers.host,
      scheme: 'http',
      port: parent.port,
      fallbackHost: `${parent.service}.${parent.namespace}.svc.cluster.local`,
    });
    this.state = DONE;
    this.clearTimers();
    const series = this.st.series;
    series.request();
    sendRedirect(this.res, s.redirect, location, [f.response, ruleFilters?.response], this.inflight.draining);
    series.response(s.redirect.statusCode, performance.now() - this.start, false);
    this.rm?.route.request(s.redirect.statusCode, performance.now() - this.start, ERR_NONE);
    this.inflight.leave();
    return false;
  }

  private readonly onMirror = (m: CompiledMirror, url: string, headers: string[]): void => {
    const target = this.st.targets[(m.backend.target as { index: number }).index] as TargetLike;
    (this.mirrors ??= []).push({ target, url, headers });
  };

  /** the body is known: send the mirrors, then the first try */
  private begin(): void {
    if (this.state !== PENDING) return;
    const mirrors = this.mirrors;
    if (mirrors !== undefined && this.replayable) {
      const body = this.body as Buffer | null;
      const sender = this.policies.mirrors;
      for (const m of mirrors) sender.send(m.target, this.rs.method, m.url, m.headers, body);
    }
    if (this.retry !== undefined) this.policies.budget(this.rule).deposit();
    this.attempt();
  }

  /**
   * One try: pick an endpoint of the backend (waiting in its queue when none is available now, as
   * `handle()` in outbound.ts does) and dispatch.
   */
  attempt(): void {
    if (this.state !== PENDING) return;
    const t = this.target as TargetLike;
    const ep = t.balancer.pick();
    if (ep !== undefined) this.serve(ep);
    else if (t.queue !== undefined) {
      this.queued = true;
      t.queue.wait(this);
    } else this.local(NO_ENDPOINT, `no ready endpoints for ${t.target.key}`, t.series);
  }

  /** EndpointWaiter: an endpoint for the next try */
  serve(ep: EndpointLike): void {
    this.queued = false;
    if (this.state !== PENDING) {
      ep.done(0, undefined);
      return;
    }
    ep.series.request();
    const a = new Attempt(this, ep);
    this.current = a;
    const backendMs = this.rule.policy?.backendRequestTimeoutMs ?? 0;
    if (backendMs > 0) this.attemptTimer = setTimeout(onAttemptTimeout, backendMs, this, a);
    const rs = this.rs;
    ep.pool.dispatch(
      {
        path: rs.url,
        method: rs.method as Dispatcher.HttpMethod,
        headers: rs.headers,
        body: this.body as Dispatcher.DispatchOptions['body'],
      },
      a,
    );
  }

  /** EndpointWaiter: no endpoint in time */
  fail(status: number, reason: string): void {
    this.queued = false;
    if (this.state !== PENDING) return;
    this.rb?.tryResponse(-1, performance.now() - this.start, localRouteError(status, reason));
    this.local(status, reason, (this.target as TargetLike).series);
  }

  /** response headers of try `a`: true to forward them, false when a retry was scheduled instead */
  onResponse(a: Attempt, status: number): boolean {
    this.attemptTimer = clearTimer(this.attemptTimer);
    a.ep.done(performance.now() - a.sentAt, status >= 500);
    const retry = this.retry;
    if (retry !== undefined && retry.retriesStatus(status) && this.canRetry()) {
      a.ep.series.response(status, performance.now() - this.start, false);
      this.rb?.tryResponse(status, performance.now() - this.start, ERR_NONE);
      this.scheduleRetry();
      return false;
    }
    if (this.retries > 0 && status < 500 && this.rm !== undefined) this.rm.route.retrySuccesses++;
    this.state = COMMITTED;
    this.current = undefined;
    this.requestTimer = clearTimer(this.requestTimer);
    return true;
  }

  /** try `a` failed before its response headers */
  onAttemptError(a: Attempt, err: Error): void {
    if (this.state !== PENDING || a !== this.current) return;
    this.attemptTimer = clearTimer(this.attemptTimer);
    const f = upstreamFailure(err);
    a.ep.series.response(f.status, performance.now() - this.start, true);
    a.ep.done(performance.now() - a.sentAt, true);
    const error = routeErrorOf(err);
    this.rb?.tryResponse(-1, performance.now() - this.start, error);
    if (this.retry !== undefined && retryableError(err, this.rs.method) && this.canRetry()) {
      this.scheduleRetry();
      return;
    }
    this.failAfterTry(f.status, f.reason, error);
  }

  onAttemptTimeout(a: Attempt): void {
    this.attemptTimer = undefined;
    if (this.state !== PENDING || a !== this.current || a.state !== WAITING) return;
    a.cancel(BACKEND_REQUEST_TIMEOUT);
    this.onAttemptError(a, BACKEND_REQUEST_TIMEOUT);
  }

  onRequestTimeout(): void {
    this.requestTimer = undefined;
    if (this.state !== PENDING) return;
    const f = upstreamFailure(REQUEST_TIMEOUT);
    const a = this.current;
    if (a !== undefined && a.state === WAITING) {
      a.cancel(REQUEST_TIMEOUT);
      a.ep.series.response(f.status, performance.now() - this.start, true);
      a.ep.done(performance.now() - a.sentAt, true);
      this.rb?.tryResponse(-1, performance.now() - this.start, ERR_REQUEST_TIMEOUT);
      this.failAfterTry(f.status, f.reason, ERR_REQUEST_TIMEOUT);
    } else {
      if (this.queued) (this.target as TargetLike).queue?.cancel(this);
      this.queued = false;
      this.local(f.status, f.reason, this.target?.series ?? this.st.series);
    }
  }

  /** response headers to forward: backend's ResponseHeaderModifier, then the rule's */
  responseHeaders(raw: Buffer[]): Buffer[] | string[] {
    const be = this.backendFilters?.response;
    const re = this.rule.filters?.response;
    if (be === undefined && re === undefined) return raw;
    let h = headerStrings(raw);
    if (be !== undefined) h = applyHeaderEdit(h, be);
    if (re !== undefined) h = applyHeaderEdit(h, re);
    return h;
  }

  private canRetry(): boolean {
    if (!this.replayable || this.res.destroyed) return false;
    return mayRetry(this.retry as RetryPolicy, this.retries, this.policies.budget(this.rule), this.rm?.route);
  }

  private scheduleRetry(): void {
    this.retries++;
    if (this.rm !== undefined) this.rm.route.retries++;
    this.current = undefined;
    const delay = backoffMs(this.retry as RetryPolicy, this.retries, this.policies.random);
    this.backoffTimer = setTimeout(onBackoff, delay, this);
  }

  onBackoff(): void {
    this.backoffTimer = undefined;
    this.attempt();
  }

  /** answer with a proxy error already counted in the metrics of the try that caused it */
  private failAfterTry(status: number, reason: string, error: number): void {
    this.state = DONE;
    this.clearTimers();
    this.rm?.route.request(-1, performance.now() - this.start, error);
    sendProxyError(this.res, status, reason, this.inflight.draining);
    this.inflight.leave();
  }

  /** answer with a proxy error made here, counted on `series` */
  private local(status: number, reason: string, series: Series): void {
    this.state = DONE;
    this.clearTimers();
    respondLocally(this.res, status, reason, series, this.start, this.inflight);
    this.rm?.route.request(-1, performance.now() - this.start, localRouteError(status, reason));
  }

  private clearTimers(): void {
    this.requestTimer = clearTimer(this.requestTimer);
    this.attemptTimer = clearTimer(this.attemptTimer);
    this.backoffTimer = clearTimer(this.backoffTimer);
  }
}

function onRequestTimeout(ex: Exchange): void {
  ex.onRequestTimeout();
}
function onAttemptTimeout(ex: Exchange, a: Attempt): void {
  ex.onAttemptTimeout(a);
}
function onBackoff(ex: Exchange): void {
  ex.onBackoff();
}

const WAITING = 0;
const FORWARDING = 1;
const DROPPED = 2;

/**
 * The undici handler of one try. Until its response headers it reports to the exchange; a response
 * that is forwarded is handed to a `ForwardHandler` (streaming, back-pressure, metrics); a response
 * that is retried, or a try that was given up, is read and dropped.
 */
class Attempt implements Dispatcher.DispatchHandler {
  state = WAITING;
  /** when the try was dispatched (balancer rtt) */
  readonly sentAt = performance.now();
  private fwd: ForwardHandler | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private cancelWith: Error | undefined;

  constructor(
    private readonly ex: Exchange,
    readonly ep: EndpointLike,
  ) {}

  /** stop this try (its outcome was already accounted for) */
  cancel(err: Error): void {
    this.state = DROPPED;
    if (this.abort !== undefined) this.abort(err);
    else this.cancelWith = err;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.cancelWith !== undefined) abort(this.cancelWith);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.state !== WAITING || statusCode < 200) return true;
    const ex = this.ex;
    if (!ex.onResponse(this, statusCode)) {
      this.state = DROPPED;
      return true;
    }
    this.state = FORWARDING;
    // the balancer heard of this try in onResponse: no observer
    const fwd = new ForwardHandler(ex.res, this.ep.series, ex.start, ex.inflight, undefined, ex.rb);
    this.fwd = fwd;
    if (this.abort !== undefined) fwd.onConnect(this.abort);
    return fwd.onHeaders(statusCode, ex.responseHeaders(rawHeaders), resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    return this.fwd === undefined ? true : this.fwd.onData(chunk);
  }

  onComplete(): void {
    this.fwd?.onComplete();
  }

  onError(err: Error): void {
    if (this.fwd !== undefined) this.fwd.onError(err);
    else if (this.state === WAITING) this.ex.onAttemptError(this, err);
  }
}
