import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { CompiledFilters, CompiledMirror, CompiledRule, RetryPolicy } from '../../engine/routing/index.js';
import type { Waiter } from '../balance/queue.js';
import type { Inflight } from '../drain.js';
import { NO_ENDPOINT } from '../errors.js';
import type { RoutePolicies } from '../exchange.js';
import { applyHeaderEdit } from '../filters/header-modifier.js';
import { runFilterSteps } from '../filters/run.js';
import type { RequestState } from '../filters/state.js';
import type { Series } from '../metrics.js';
import type { PathEndpoint, PathState, PathTarget } from '../protocol/outbound-paths.js';
import {
  ERR_CANCEL,
  ERR_NONE,
  ERR_UNEXPECTED,
  localRouteError,
  routeErrorOf,
  type RouteBackendMetrics,
  type RuleMetrics,
} from '../route-metrics.js';
import { backoffMs, MAX_REPLAY_BYTES, mayRetry, retryableError } from '../retry.js';
import { BACKEND_REQUEST_TIMEOUT, clearTimer, REQUEST_TIMEOUT } from '../timeouts.js';
import type { H2Clients } from './client.js';
import { respondStreamLocally, StreamForward, type StreamTry } from './forward.js';
import { sendH2Mirror } from './mirror.js';

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM } = constants;

/**
 * The policy path of an HTTP/2 stream (h2c and gRPC), the twin of `exchange.ts` for HTTP/1.1, run for
 * a rule that is not `plain`, with the same compiled filters and policy:
 *
 * 1. the rule's filters, then (after the weighted backend choice) the backend's, run on the request as
 *    a `RequestState` (`host` stands for `:authority`, the request target for `:path`): header edits,
 *    URLRewrite, mirrors sampled; RequestRedirect answers `:status` + `location`;
 * 2. tries go through `StreamForward` (h2/forward.ts) with this exchange as its `StreamTry`: the
 *    request body is streamed to the try as it arrives and, when the rule retries or mirrors, kept up
 *    to `MAX_REPLAY_BYTES` so that the next try (or a mirror) gets it again; a body that grows past
 *    the limit is never retried nor mirrored;
 * 3. a try is retried (same budget and backoff as HTTP/1.1) on a `:status` in `codes`, a refused stream
 *    or connect failure (any method), a reset or `backendRequest` timeout (idempotent methods). For gRPC
 *    only the `:status` of the response headers counts, which always come before any message:
 *    `grpc-status` codes are never retried;
 * 4. `timeouts.request` / `backendRequest` answer 504 `weir-proxy-error: request timeout`, for gRPC
 *    `grpc-status: 4` (DEADLINE_EXCEEDED) with `grpc-message` (h2/respond.ts);
 * 5. ResponseHeaderModifiers (backend's, then rule's) edit the response headers forwarded.
 */
export function serveH2Rule<E extends PathEndpoint>(
  policies: RoutePolicies,
  st: PathState<E>,
  rule: CompiledRule,
  clients: H2Clients,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  grpc: boolean,
  start: number,
  inflight: Inflight,
): void {
  new H2Exchange(policies, st, rule, clients, stream, headers, flags, grpc, start, inflight).run();
}

const PENDING = 0;
const COMMITTED = 1;
const DONE = 2;

interface PendingMirror {
  target: PathTarget<PathEndpoint>;
  url: string;
  headers: string[];
}

/** an upstream reset, for `retryableError`: retried for idempotent methods only */
const STREAM_RESET = Object.assign(new Error('stream reset'), { code: 'ECONNRESET' });

/** whether an upstream h2 failure before the response may be retried */
function retryableH2(err: Error | undefined, rstCode: number, method: string): boolean {
  // streams queued on a session that failed to connect carry the session's error as `cause`
  const code0 = (err as { code?: string } | undefined)?.code;
  const e = code0 === 'ERR_HTTP2_STREAM_CANCEL' && err?.cause instanceof Error ? err.cause : err;
  const code = (e as { code?: string } | undefined)?.code;
  // never processed by the endpoint
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || rstCode === NGHTTP2_REFUSED_STREAM) return true;
  if (e === undefined || (code !== undefined && code.startsWith('ERR_HTTP2_'))) {
    return retryableError(STREAM_RESET, method);
  }
  return retryableError(e, method);
}

/** h2 request headers as the `[name, value, ...]` list filters work on; `:authority` becomes `host` */
function flatRequestHeaders(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  const authority = headers[':authority'] ?? headers.host;
  if (authority !== undefined) out.push('host', String(authority));
  flatInto(headers, out, true);
  return out;
}

function flatInto(headers: IncomingHttpHeaders, out: string[], skipHost: boolean): void {
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */ || (skipHost && name === 'host')) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
}

/** a flat header list as an h2 header object (names lower-cased, repeated names as arrays) */
function headerObject(
  flat: readonly string[],
  out: OutgoingHttpHeaders,
  hostIsAuthority: boolean,
): OutgoingHttpHeaders {
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    if (hostIsAuthority && name === 'host') {
      out[':authority'] = value;
      continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}

class H2Exchange<E extends PathEndpoint> implements Waiter<E>, StreamTry {
  private state = PENDING;
  private readonly rs: RequestState;
  private readonly retry: RetryPolicy | undefined;
  private readonly hasBody: boolean;
  private target: PathTarget<E> | undefined;
  private backendFilters: CompiledFilters | undefined;
  private mirrors: PendingMirror[] | undefined;
  private upHeaders: OutgoingHttpHeaders | undefined;
  /** keeping the request body for the next try or a mirror */
  private capture = false;
  private chunks: Buffer[] = [];
  private size = 0;
  /** the body grew past `MAX_REPLAY_BYTES`: no retry, no mirror */
  private overflow = false;
  private ended = false;
  /** StreamTry: the client's request trailers */
  trailers: OutgoingHttpHeaders | undefined;
  private retries = 0;
  /** the try in flight (or forwarding the response) */
  private current: StreamForward | undefined;
  private queued = false;
  private requestTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** the rule's route metrics, and those of the backend picked (route-metrics.ts) */
  private readonly rm: RuleMetrics | undefined;
  private rb: RouteBackendMetrics | undefined;

  constructor(
    private readonly policies: RoutePolicies,
    private readonly st: PathState<E>,
    private readonly rule: CompiledRule,
    private readonly clients: H2Clients,
    private readonly down: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    flags: number,
    private readonly grpc: boolean,
    private readonly start: number,
    private readonly inflight: Inflight,
  ) {
    this.hasBody = (flags & NGHTTP2_FLAG_END_STREAM) === 0;
    this.rs = {
      method: String(headers[':method'] ?? 'GET'),
      url: String(headers[':path'] ?? '/'),
      headers: flatRequestHeaders(headers),
    };
    this.retry = rule.policy?.retry;
    this.rm = st.ruleMetrics?.get(rule);
  }

  run(): void {
    const down = this.down;
    down.on('error', noop);
    down.on('close', this.onDownClose);
    const requestMs = this.rule.policy?.requestTimeoutMs ?? 0;
    if (requestMs > 0) this.requestTimer = setTimeout(onRequestTimeout, requestMs, this);

    const rf = this.rule.filters;
    if (rf !== undefined && !this.runFilters(rf, undefined)) return;
    const backend = this.rule.pick();
    if (backend.failStatus !== 0 || backend.target === undefined) {
      const t = backend.target !== undefined ? this.st.targets[backend.target.index] : undefined;
      this.local(backend.failStatus, backend.reason, t?.series ?? this.st.series);
      return;
    }
    this.target = this.st.targets[backend.target.index] as PathTarget<E>;
    this.rb = this.rm?.backend(backend.target.index);
    this.backendFilters = backend.filters;
    if (backend.filters !== undefined && !this.runFilters(backend.filters, rf)) return;

    if (this.hasBody) {
      this.capture = this.retry !== undefined || this.mirrors !== undefined;
      const length = Number(this.headers['content-length'] ?? -1);
      if (this.capture && length > MAX_REPLAY_BYTES) this.overflowed();
      down.on('data', this.onDownData);
      down.on('end', this.onDownEnd);
      down.on('trailers', this.onDownTrailers);
      // the body flows only while a try is in flight
      down.pause();
    }
    if (this.retry !== undefined) this.policies.budget(this.rule).deposit();
    if (!this.hasBody) this.sendMirrors(null);
    this.attempt();
  }

  /** run one filter list; false when it answered the request */
  private runFilters(f: CompiledFilters, ruleFilters: CompiledFilters | undefined): boolean {
    const s = runFilterSteps(f, this.rs, this.policies.random, this.onMirror);
    if (s === undefined) return true;
    if (s.kind === 'fail') {
      this.local(s.status, s.reason, this.st.series);
      return false;
    }
    const parent = this.st.table.parent;
    const h = this.headers;
    const location = s.redirect.location({
      url: this.rs.url,
      host: (h[':authority'] ?? h.host) as string | undefined,
      scheme: h[':scheme'] === 'https' ? 'https' : 'http',
      port: parent.port,
      fallbackHost: `${parent.service}.${parent.namespace}.svc.cluster.local`,
    });
    this.state = DONE;
    this.clearTimers();
    const series = this.st.series;
    series.request();
    let out = ['location', location];
    for (const e of [f.response, ruleFilters?.response]) if (e !== undefined) out = applyHeaderEdit(out, e);
    const down = this.down;
    if (!down.destroyed && !down.closed) {
      down.respond(headerObject(out, { ':status': s.redirect.statusCode }, false), { endStream: true });
    }
    series.response(s.redirect.statusCode, performance.now() - this.start, false);
    this.rm?.route.request(s.redirect.statusCode, performance.now() - this.start, ERR_NONE, 0);
    this.drainBody();
    this.inflight.leave();
    return false;
  }

  private readonly onMirror = (m: CompiledMirror, url: string, headers: string[]): void => {
    const target = this.st.targets[(m.backend.target as { index: number }).index] as PathTarget<PathEndpoint>;
    (this.mirrors ??= []).push({ target, url, headers });
  };

  /** send the pending mirrors, with the whole request body (null: none) */
  private sendMirrors(body: Buffer | null): void {
    const ms = this.mirrors;
    if (ms === undefined) return;
    this.mirrors = undefined;
    const scheme = this.headers[':scheme'] ?? 'http';
    for (const m of ms) {
      const headers = headerObject(m.headers, { ':method': this.rs.method, ':path': m.url, ':scheme': scheme }, true);
      sendH2Mirror(this.policies.mirrors, this.clients, m.target, headers, body, this.trailers);
    }
  }

  private overflowed(): void {
    this.capture = false;
    this.overflow = true;
    this.chunks = [];
    this.mirrors = undefined;
  }

  // ---- tries

  private attempt(): void {
    if (this.state !== PENDING) return;
    const t = this.target as PathTarget<E>;
    const ep = t.balancer.pick();
    if (ep !== undefined) this.serve(ep);
    else if (t.queue !== undefined) {
      this.queued = true;
      t.queue.wait(this);
    } else this.local(NO_ENDPOINT, `no ready endpoints for ${t.target.key}`, t.series);
  }

  /** Waiter: an endpoint for the next try */
  serve(ep: E): void {
    this.queued = false;
    if (this.state !== PENDING) {
      ep.done(0, undefined);
      return;
    }
    const client = (ep.h2 ??= this.clients.get(ep.endpoint.address, ep.endpoint.port));
    ep.series.request();
    const fwd = new StreamForward(client, this.down, this.grpc, ep.series, this.start, this.inflight, ep, this);
    fwd.route = this.rb;
    this.current = fwd;
    const backendMs = this.rule.policy?.backendRequestTimeoutMs ?? 0;
    if (backendMs > 0) this.attemptTimer = setTimeout(onAttemptTimeout, backendMs, this, fwd);
    const rs = this.rs;
    this.upHeaders ??= headerObject(
      rs.headers,
      { ':method': rs.method, ':path': rs.url, ':scheme': this.headers[':scheme'] ?? 'http' },
      true,
    );
    fwd.run(this.upHeaders, !this.hasBody);
    if (this.hasBody && this.current === fwd) this.feed(fwd);
  }

  /** Waiter: no endpoint in time */
  fail(status: number, reason: string): void {
    this.queued = false;
    if (this.state !== PENDING) return;
    this.local(status, reason, (this.target as PathTarget<E>).series);
  }

  /** a new try: what was kept of the body first, then the rest as it comes */
  private feed(fwd: StreamForward): void {
    const up = fwd.up;
    if (up === undefined || up.destroyed) return;
    for (const c of this.chunks) up.write(c);
    if (this.ended) up.end();
    else this.down.resume();
  }

  private readonly onDownData = (chunk: Buffer): void => {
    if (this.capture) {
      if (this.size + chunk.length > MAX_REPLAY_BYTES) this.overflowed();
      else {
        this.chunks.push(chunk);
        this.size += chunk.length;
      }
    }
    const up = this.current?.up;
    if (up === undefined || up.destroyed) {
      // between tries: wait for the next one (the chunk was kept); otherwise the request is over
      if (this.state === PENDING && this.current === undefined) this.down.pause();
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
    if (!this.overflow)
      this.sendMirrors(this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks));
    const up = this.current?.up;
    if (up !== undefined && !up.destroyed) up.end();
  };

  private readonly onDownTrailers = (trailers: IncomingHttpHeaders): void => {
    this.trailers = trailers as OutgoingHttpHeaders;
  };

  /** StreamTry: response headers of the current try */
  onResponse(status: number): boolean {
    if (this.state !== PENDING) return true;
    this.attemptTimer = clearTimer(this.attemptTimer);
    const retry = this.retry;
    if (retry !== undefined && retry.retriesStatus(status) && this.canRetry()) {
      this.rb?.tryResponse(status, performance.now() - this.start, ERR_NONE);
      this.scheduleRetry();
      return false;
    }
    if (this.retries > 0 && status < 500 && this.rm !== undefined) this.rm.route.retrySuccesses++;
    this.state = COMMITTED;
    this.requestTimer = clearTimer(this.requestTimer);
    if (this.mirrors === undefined) {
      this.capture = false;
      this.chunks = [];
    }
    return true;
  }

  /** StreamTry: the current try failed before its response */
  onError(err: Error | undefined, rstCode: number): boolean {
    if (this.state !== PENDING) return false;
    this.attemptTimer = clearTimer(this.attemptTimer);
    if (this.retry !== undefined && retryableH2(err, rstCode, this.rs.method) && this.canRetry()) {
      this.rb?.tryResponse(-1, performance.now() - this.start, err !== undefined ? routeErrorOf(err) : ERR_UNEXPECTED);
      this.scheduleRetry();
      return true;
    }
    // the forward answers with the proxy error
    this.state = DONE;
    this.clearTimers();
    return false;
  }

  /** StreamTry: ResponseHeaderModifiers, backend's then rule's */
  responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
    const be = this.backendFilters?.response;
    const re = this.rule.filters?.response;
    if (be === undefined && re === undefined) return headers as OutgoingHttpHeaders;
    let flat: string[] = [];
    flatInto(headers, flat, false);
    if (be !== undefined) flat = applyHeaderEdit(flat, be);
    if (re !== undefined) flat = applyHeaderEdit(flat, re);
    return headerObject(flat, { ':status': headers[':status'] }, false);
  }

  private canRetry(): boolean {
    if (this.overflow || this.down.destroyed || this.down.closed) return false;
    return mayRetry(this.retry as RetryPolicy, this.retries, this.policies.budget(this.rule), this.rm?.route);
  }

  private scheduleRetry(): void {
    this.retries++;
    if (this.rm !== undefined) this.rm.route.retries++;
    this.current = undefined;
    if (this.hasBody && !this.ended) this.down.pause();
    const delay = backoffMs(this.retry as RetryPolicy, this.retries, this.policies.random);
    this.backoffTimer = setTimeout(onBackoff, delay, this);
  }

  onBackoff(): void {
    this.backoffTimer = undefined;
    this.attempt();
  }

  onAttemptTimeout(fwd: StreamForward): void {
    this.attemptTimer = undefined;
    if (this.state === PENDING && this.current === fwd) fwd.fail(BACKEND_REQUEST_TIMEOUT);
  }

  onRequestTimeout(): void {
    this.requestTimer = undefined;
    if (this.state !== PENDING) return;
    const cur = this.current;
    if (cur !== undefined) {
      // the try in flight answers 504 / DEADLINE_EXCEEDED and is cancelled
      this.state = DONE;
      this.clearTimers();
      cur.fail(REQUEST_TIMEOUT);
      return;
    }
    this.local(504, REQUEST_TIMEOUT.message, this.target?.series ?? this.st.series);
  }

  /** the client went away (or the stream closed) */
  private readonly onDownClose = (): void => {
    const was = this.state;
    this.clearTimers();
    if (was !== PENDING) return;
    this.state = DONE;
    // a try in flight records and leaves through its StreamForward
    if (this.current !== undefined) return;
    if (this.queued) (this.target as PathTarget<E>).queue?.cancel(this);
    this.queued = false;
    this.routeOutcome(ERR_CANCEL);
    this.inflight.leave();
  };

  /** answer with a proxy error made here (no try in flight), counted on `series` */
  private local(status: number, reason: string, series: Series): void {
    this.state = DONE;
    this.clearTimers();
    if (this.queued) (this.target as PathTarget<E>).queue?.cancel(this);
    this.queued = false;
    respondStreamLocally(this.down, status, reason, this.grpc, series, this.start, this.inflight);
    this.routeOutcome(localRouteError(status, reason));
    this.drainBody();
  }

  /** per route: a request answered (or abandoned) without a try forwarding its response */
  private routeOutcome(error: number): void {
    const ms = performance.now() - this.start;
    if (this.rb !== undefined) this.rb.response(-1, ms, error);
    else this.rm?.route.request(-1, ms, error);
  }

  /** answered before the request body ended: read and drop the rest, so that the stream can close */
  private drainBody(): void {
    if (this.hasBody && !this.ended && !this.down.destroyed) this.down.resume();
  }

  private clearTimers(): void {
    this.requestTimer = clearTimer(this.requestTimer);
    this.attemptTimer = clearTimer(this.attemptTimer);
    this.backoffTimer = clearTimer(this.backoffTimer);
  }
}

function noop(): void {}

function onRequestTimeout(ex: H2Exchange<PathEndpoint>): void {
  ex.onRequestTimeout();
}
function onAttemptTimeout(ex: H2Exchange<PathEndpoint>, fwd: StreamForward): void {
  ex.onAttemptTimeout(fwd);
}
function onBackoff(ex: H2Exchange<PathEndpoint>): void {
  ex.onBackoff();
}
