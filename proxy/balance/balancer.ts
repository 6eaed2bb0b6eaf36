import type { Outcome } from './breaker.js';

/**
 * Choosing one endpoint of a backend: the small interface every protocol path (HTTP/1.1, HTTP/2,
 * gRPC) uses, so that load and failure accrual are per request, not per connection.
 *
 * The proxy builds a balancer per backend from the *ready* endpoints of each snapshot, handing it the
 * previous one so that per-endpoint state (RTT estimates, in-flight counts, ejections) carries over for
 * endpoints that stay. Contract for callers:
 * - `pick()` an endpoint for each request (retries pick again); `undefined` means none is available
 *   now (none ready, or all ejected): wait for one with `EndpointQueue`, never without bound.
 * - call `release(endpoint, rttMs, failed, overloadMs)` exactly once per successful pick, as soon as the outcome is
 *   known: at the response headers (rtt = time from dispatch to headers, failed = status >= 500), at
 *   the trailers for gRPC (failed = a failing grpc-status), or on a connection error before the
 *   response (failed = true). When the client went away first, `failed` is `undefined`. `overloadMs`
 *   > 0 when the endpoint answered 429 / RESOURCE_EXHAUSTED (balance/outcome.ts): avoid it that long.
 *
 * `RoundRobin` ignores feedback; `PeakEwma` (balance/peak-ewma.ts, the default) uses it.
 */
export interface Balancer<T> {
  /** endpoints given (ready in discovery), ejected ones included */
  readonly size: number;
  /**
   * an endpoint, or undefined when none is available now; never `avoid` (the endpoint a request that was
   * never sent just failed on, redispatch.ts) when given. A balancer that ignores `avoid` may return it:
   * the caller then gives the pick back.
   */
  pick(avoid?: T): T | undefined;
  /** the outcome of a request sent to `endpoint` (see above) */
  release?(endpoint: T, rttMs: number, failed: Outcome, overloadMs?: number): void;
  /** endpoints that may take a request now (for gauges); default `size` */
  available?(): number;
  /** ms until an endpoint unavailable now may become available (an ejection ends); Infinity if none */
  nextChangeMs?(): number;
  /** set by `EndpointQueue`: called when an endpoint's availability changed other than by time (a probe's outcome) */
  onChange?: (() => void) | undefined;
}

/** Build a balancer over `endpoints`; `previous` is the one it replaces (same endpoint objects keep their state). */
export type BalancerFactory = <T>(endpoints: readonly T[], previous?: Balancer<T>) => Balancer<T>;

export class RoundRobin<T> implements Balancer<T> {
  private next = 0;
  constructor(private readonly endpoints: readonly T[]) {}

  get size(): number {
    return this.endpoints.length;
  }

  pick(avoid?: T): T | undefined {
    const n = this.endpoints.length;
    if (n <= 1) return this.endpoints[0] === avoid ? undefined : this.endpoints[0];
    let i = this.next;
    if (this.endpoints[i] === avoid) i = i + 1 === n ? 0 : i + 1;
    this.next = i + 1 === n ? 0 : i + 1;
    return this.endpoints[i];
  }
}

export const roundRobin: BalancerFactory = (endpoints) => new RoundRobin(endpoints);
