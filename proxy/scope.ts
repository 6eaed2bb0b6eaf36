import type { Inflight } from './drain.js';
import type { TapRecord } from './tap/hub.js';
import type { HopSpan } from './tracing/types.js';

/**
 * What every request has from its arrival to its end, whatever path serves it (outbound stack,
 * inbound forward, a local answer): when it started, the listener's in-flight count it is part of, and
 * its trace span when the request is sampled (tracing/). Every path ends it with `endRequest`, once.
 */
export interface RequestScope {
  readonly inflight: Inflight;
  /** `performance.now()` when the request's headers arrived */
  readonly start: number;
  /** this hop's span, for a sampled request */
  span: HopSpan | undefined;
  /** set only while someone taps the proxy and wants this request (tap/hub.ts) */
  tap?: TapRecord | undefined;
}

/**
 * The request is over: its span ends with what the client got (`status` 0: no response; `grpcStatus` -1:
 * none; `failed`: the proxy answered or cut it, with `reason`), and it leaves the in-flight count.
 */
export function endRequest(scope: RequestScope, status: number, grpcStatus = -1, reason?: string): void {
  const span = scope.span;
  if (span !== undefined) {
    scope.span = undefined;
    span.end(status, {
      ...(reason !== undefined ? { error: reason } : {}),
      ...(grpcStatus >= 0 ? { grpcStatus } : {}),
    });
  }
  const tap = scope.tap;
  if (tap !== undefined) {
    scope.tap = undefined;
    tap.end(status, grpcStatus, reason);
  }
  scope.inflight.leave();
}
