import type { HeaderEdit, RoutableRequest } from '../engine/routing/index.js';
import type { Failure } from './errors.js';
import type { AnswerCapture } from './mirror-diff/capture.js';
import type { RequestState } from './filters/state.js';
import type { RoutePolicies } from './policies.js';
import type { RouteBackendMetrics } from './route-metrics.js';
import type { RequestScope } from './scope.js';
import type { Backend, Endpoint, ListenerState } from './targets.js';

/**
 * The seam between the one policy stack and the protocols. The stack (`serve.ts` for a plain rule,
 * `exchange.ts` for a rule with filters, timeouts, retries or mirrors) decides everything a request
 * goes through: route, filters, weighted split, mirrors, retries under the budget, timeouts, endpoint
 * choice and waiting, metrics. A `Transport` is the protocol's side of one request, HTTP/1.1
 * (`http1/transport.ts`, over undici) or HTTP/2 and gRPC (`h2/transport.ts`, over node:http2): it knows
 * how to read the request, send one try and stream its response back, and write an answer the proxy
 * makes itself. This is linkerd2-proxy's shape: one stack, the HTTP version a property of the target.
 */

/** What every layer of one request shares (made once per request by the protocol's front). */
export interface RequestContext extends RequestScope {
  /** the listener's routing state at the request's arrival */
  readonly st: ListenerState;
  readonly policies: RoutePolicies;
}

/** The owner of a try (the exchange): hears of its response head or its failure before it. */
export interface TryOwner {
  /** the route rule's backend metrics of this request (per-route metrics), if any */
  readonly rb: RouteBackendMetrics | undefined;
  /** the response headers of the try: true to forward them, false when it is retried (drop the try) */
  tryResponse(t: Try, status: number): boolean;
  /** the try failed before its response started; it is over (the owner answers or retries) */
  tryFailed(t: Try, f: Failure): void;
  /**
   * the endpoint of try `t` never got the request (its sidecar answered so, errors.ts `sidecarUnsent`):
   * true when the request went to another endpoint (the try is dropped), false to go on with its response
   */
  redispatch(t: Try, f: Failure): boolean;
  /** ResponseHeaderModifier edits to apply to the response headers forwarded, in order */
  readonly responseEdits: readonly HeaderEdit[];
  /** a copy of the forwarded response is kept for a mirror diff (the response itself is unchanged) */
  readonly primaryCapture: AnswerCapture | undefined;
}

/** One try of a request on one endpoint. */
export interface Try {
  readonly ep: Endpoint;
  /** send it; from then on it reports to its owner (possibly at once) */
  start(): void;
  /** stop it now, silently (its owner accounts for it and tells the balancer): a timeout */
  cancel(): void;
}

/**
 * The fast path's hold on a forwarded request (serve.ts, redispatch.ts): a forwarder whose endpoint failed
 * before anything of the request reached it (`Failure.unsent`) asks it to send the request to another
 * endpoint instead of answering. The forwarder has told the balancer and the endpoint's series first.
 */
export interface Redispatch {
  /** true: the request went to another endpoint (through `forward` again), the failed forwarder is done */
  again(f: Failure): boolean;
  /** the endpoint is a sidecar reached over mesh mTLS: its answers of a never-sent failure count as one */
  readonly sidecar: boolean;
}

export interface Transport extends RoutableRequest {
  readonly ctx: RequestContext;
  readonly method: string;
  readonly url: string;
  /** a gRPC request: answers the proxy makes are gRPC statuses */
  readonly grpc: boolean;
  /** the request has a body */
  readonly hasBody: boolean;
  /** `Host` (`:authority`) as received, for redirects */
  readonly host: string | undefined;
  readonly scheme: 'http' | 'https';

  /** Send an answer the proxy made itself (`weir-proxy-error`); the gRPC status sent, -1 for none. */
  sendError(f: Failure): number;
  /** Send a RequestRedirect answer: its status and header list (`location` first). */
  sendRedirect(status: number, headers: string[]): void;
  /** Call `gone` once if the client goes away before the request is over (cancelled by `forget()`). */
  onClientGone(gone: () => void): void;
  forget(): void;

  // ---- the plain path: the request as received to one endpoint

  /**
   * Forward the request to `ep` and stream the response back; the forwarder records the response (on
   * `ep.series` and `rb`), tells the balancer its outcome when `feedback`, and leaves `inflight`.
   */
  forward(ep: Endpoint, feedback: boolean, rb: RouteBackendMetrics | undefined, redispatch?: Redispatch): void;
  /**
   * whether the request can go to another endpoint after a try that sent nothing (redispatch.ts): the
   * client is still there, no response started, and the body is whole (not read yet, or kept)
   */
  resendable(): boolean;

  // ---- the policy path (exchange.ts)

  /** the request as filters see and edit it */
  filterState(): RequestState;
  /**
   * Get the body ready for tries; `keep` when retries or mirrors may need it again. Calls `ready()` when
   * the first try may go, `whole(body)` once the whole body is known (null: no body; undefined: not
   * kept, too large), `lost()` when the client went away before.
   */
  prepareBody(
    keep: boolean,
    ready: () => void,
    whole: (body: Buffer | null | undefined) => void,
    lost: () => void,
  ): void;
  /** whether the request can be sent again (its body was kept whole, and the client is still there) */
  replayable(): boolean;
  /**
   * One try on `ep` with the request as the filters left it (sent by `start()`). A try tells the
   * balancer its outcome itself, unless it is cancelled.
   */
  newTry(ep: Endpoint, owner: TryOwner, rs: RequestState): Try;
  /** tries' responses and mirror replies can be captured for a mirror diff (HTTP/1.1 only for now) */
  readonly diffable: boolean;
  /** a RequestMirror copy to one endpoint of `backend`; its reply goes to `capture` when given */
  sendMirror(
    backend: Backend,
    rs: RequestState,
    url: string,
    headers: string[],
    body: Buffer | null,
    capture?: AnswerCapture,
  ): void;
}
