import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';

/**
 * RequestMirror: fire-and-forget copies. Each mirror filter that samples a request sends one copy to
 * one endpoint of its backend (picked by that backend's balancer); the reply is read and thrown away,
 * errors are ignored, and nothing of it reaches the client or the golden metrics.
 *
 * The copy carries the method, path+query and headers as they were at the filter's place in the list,
 * and the request body only when it was buffered (no body, or at most `MAX_REPLAY_BYTES`); a request
 * with a larger or unbuffered body is not mirrored. A mirror that is down fails on its own; a slow one
 * is bounded by `timeoutMs` (headers and body) and by `maxInflight` copies in flight, beyond which
 * copies are dropped, so the real request never waits for a mirror.
 */
export interface MirrorEndpoint {
  readonly pool: Dispatcher;
  /** the balancer's release for this endpoint: a copy is in flight on it until this is called */
  done(rttMs: number, failed: boolean | undefined): void;
}
export interface MirrorTarget {
  readonly balancer: { pick(): MirrorEndpoint | undefined };
}

export interface MirrorStats {
  sent: number;
  dropped: number;
  inflight: number;
}

/**
 * One copy in flight: releases its endpoint to the balancer at the reply's headers (or on an error before
 * them), without a success/failure verdict, so the mirror's in-flight count and latency stay true.
 */
class MirrorCopy implements Dispatcher.DispatchHandler {
  private released = false;
  private readonly sentAt = performance.now();

  constructor(
    private readonly stats: MirrorStats,
    private readonly ep: MirrorEndpoint,
  ) {}

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.ep.done(performance.now() - this.sentAt, undefined);
  }

  onConnect(): void {}

  onHeaders(): boolean {
    this.release();
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.release();
    this.stats.inflight--;
  }

  onError(): void {
    this.release();
    this.stats.inflight--;
  }
}

export class MirrorSender {
  readonly stats: MirrorStats = { sent: 0, dropped: 0, inflight: 0 };

  constructor(
    private readonly maxInflight = 256,
    /** headers and body timeout of a copy */
    readonly timeoutMs = 10_000,
  ) {}

  /**
   * For copies sent by another protocol path (HTTP/2, `h2/mirror.ts`): true when one more copy may be
   * in flight (it is counted as sent and in flight; call `settle()` once it is over), false when it is
   * dropped. The bound is shared with the HTTP/1.1 copies.
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

  /** a copy admitted by `admit()` is over; `dropped` when it could not be sent after all */
  settle(dropped = false): void {
    this.stats.inflight--;
    if (dropped) {
      this.stats.sent--;
      this.stats.dropped++;
    }
  }

  send(t: MirrorTarget, method: string, path: string, headers: string[], body: Buffer | null): void {
    const stats = this.stats;
    if (stats.inflight >= this.maxInflight) {
      stats.dropped++;
      return;
    }
    const ep = t.balancer.pick();
    if (ep === undefined) {
      stats.dropped++;
      return;
    }
    stats.inflight++;
    stats.sent++;
    ep.pool.dispatch(
      {
        path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      },
      new MirrorCopy(stats, ep),
    );
  }
}
