import type { Failure } from './errors.js';
import type { Backend, Endpoint } from './targets.js';

/**
 * A request that was never sent (errors.ts, `Failure.unsent`: the connection to the chosen endpoint was
 * refused, unreachable, timed out, or its mTLS handshake failed; the endpoint refused the HTTP/2 stream)
 * is dispatched again to another endpoint of the same backend, as Envoy's `retry_on: connect-failure,
 * refused-stream` does, and as Linkerd gets by balancing over connected endpoints only. Any method, every
 * path and protocol, with or without a retry policy, outside its attempts and its budget: nothing reached
 * the endpoint. Bounded: at most `MAX_REDISPATCHES` per request, never back to the endpoint that just
 * failed (the balancer has heard of that failure, so failure accrual ejects the endpoint and the next
 * requests avoid it). With no other endpoint available now, the request is answered as the failure says.
 * Whether the body allows it is the transport's `resendable()` (not read yet, or kept whole).
 */
export const MAX_REDISPATCHES = 2;

/** whether a try that failed with `f` may go to another endpoint, after `done` re-dispatches */
export function mayRedispatch(f: Failure, done: number): boolean {
  return f.unsent && done < MAX_REDISPATCHES;
}

/** another endpoint of `t` than `failed`, available now (picked: counted in flight), or undefined */
export function anotherEndpoint(t: Backend, failed: Endpoint): Endpoint | undefined {
  const ep = t.balancer.pick(failed);
  if (ep !== failed) return ep;
  // a balancer that does not know `avoid`: give the pick back
  ep.done(0, undefined);
  return undefined;
}
