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
}
export interface MirrorTarget {
  readonly balancer: { pick(): MirrorEndpoint | undefined };
}

export interface MirrorStats {
  sent: number;
  dropped: number;
  inflight: number;
}

export class MirrorSender implements Dispatcher.DispatchHandler {
  readonly stats: MirrorStats = { sent: 0, dropped: 0, inflight: 0 };

  constructor(
    private readonly maxInflight = 256,
    private readonly timeoutMs = 10_000,
  ) {}

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
    // one shared handler for every copy: it keeps no per-request state
    ep.pool.dispatch(
      {
        path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      },
      this,
    );
  }

  onConnect(): void {}

  onHeaders(): boolean {
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.stats.inflight--;
  }

  onError(): void {
    this.stats.inflight--;
  }
}
