/**
 * RequestMirror: fire-and-forget copies. Each mirror filter that samples a request sends one copy to
 * one endpoint of its backend (picked by that backend's balancer); the reply is read and thrown away,
 * errors are ignored, and nothing of it reaches the client or the golden metrics.
 *
 * The copy carries the method, path+query and headers as they were at the filter's place in the list,
 * and the request body only when it was kept whole (no body, or at most `MAX_REPLAY_BYTES`); a request
 * with a larger body is not mirrored. A mirror that is down fails on its own; a slow one is bounded by
 * `timeoutMs` (headers and body) and by `maxInflight` copies in flight, beyond which copies are dropped,
 * so the real request never waits for a mirror. The copies themselves are sent by the protocol's
 * sender (`http1/mirror.ts`, `h2/mirror.ts`), which share this bound.
 */
export interface MirrorStats {
  sent: number;
  dropped: number;
  inflight: number;
}

export class MirrorSender {
  readonly stats: MirrorStats = { sent: 0, dropped: 0, inflight: 0 };

  constructor(
    private readonly maxInflight = 256,
    /** headers and body timeout of a copy */
    readonly timeoutMs = 10_000,
  ) {}

  /**
   * True when one more copy may be in flight (it is counted as sent and in flight; call `settle()` once
   * it is over), false when it is dropped.
   */
  admit(): boolean {
    const stats = this.stats;
    if (stats.inflight >= this.maxInflight) {
      stats.dropped++;
      return false;
    }
    stats.inflight++;
    stats.sent++;
    return true;
  }

  /**
   * One more copy to an endpoint of `backend`, picked by its balancer: the endpoint (the copy admitted,
   * call `settle()` once it is over), or undefined when the copy is dropped (bound reached, no endpoint).
   */
  take<E>(backend: { readonly balancer: { pick(): E | undefined } }): E | undefined {
    if (!this.admit()) return undefined;
    const ep = backend.balancer.pick();
    if (ep === undefined) this.settle(true);
    return ep;
  }

  /** a copy admitted by `admit()` is over; `dropped` when it could not be sent after all */
  settle(dropped = false): void {
    this.stats.inflight--;
    if (dropped) {
      this.stats.sent--;
      this.stats.dropped++;
    }
  }
}
