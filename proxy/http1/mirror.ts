import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { MirrorSender } from '../mirror.js';
import type { Endpoint } from '../targets.js';

/** What an HTTP/1.1 copy needs of an endpoint: its pool, and the balancer's release (a copy is in flight until then). */
export type MirrorEndpoint = Pick<Endpoint, 'pool' | 'done'>;

/**
 * One RequestMirror copy over HTTP/1.1 (mirror.ts says what a copy is): to one endpoint of `t` picked by
 * its balancer, over the endpoint's keep-alive pool, bounded by the sender's timeout and in-flight cap.
 */
export function sendHttp1Mirror(
  sender: MirrorSender,
  t: { readonly balancer: { pick(): MirrorEndpoint | undefined } },
  method: string,
  path: string,
  headers: string[],
  body: Buffer | null,
): void {
  const ep = sender.take(t);
  if (ep === undefined) return;
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
