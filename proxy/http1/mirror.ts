import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { MirrorSender } from '../mirror.js';

/** A mirror endpoint as an HTTP/1.1 copy uses it (`targets.ts`'s `Endpoint` fits). */
export interface MirrorEndpoint {
  readonly pool: Dispatcher;
  /** the balancer's release for this endpoint: a copy is in flight on it until this is called */
  done(rttMs: number, failed: boolean | undefined): void;
}
export interface MirrorTarget {
  readonly balancer: { pick(): MirrorEndpoint | undefined };
}

/**
 * One RequestMirror copy over HTTP/1.1 (mirror.ts says what a copy is): to one endpoint of `t` picked by
 * its balancer, over the endpoint's keep-alive pool, bounded by the sender's timeout and in-flight cap.
 */
export function sendHttp1Mirror(
  sender: MirrorSender,
  t: MirrorTarget,
  method: string,
  path: string,
  headers: string[],
  body: Buffer | null,
): void {
  if (!sender.admit()) return;
  const ep = t.balancer.pick();
  if (ep === undefined) {
    sender.settle(true);
    return;
  }
  ep.pool.dispatch(
    {
      path,
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      headersTimeout: sender.timeoutMs,
      bodyTimeout: sender.timeoutMs,
    },
    new MirrorCopy(sender, ep),
  );
}

/**
 * One copy in flight: releases its endpoint to the balancer at the reply's headers (or on an error before
 * them), without a success/failure verdict, so the mirror's in-flight count and latency stay true.
 */
class MirrorCopy implements Dispatcher.DispatchHandler {
  private released = false;
  private readonly sentAt = performance.now();

  constructor(
    private readonly sender: MirrorSender,
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
    this.sender.settle();
  }

  onError(): void {
    this.release();
    this.sender.settle();
  }
}
