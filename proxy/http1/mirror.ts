import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { MirrorSender } from '../mirror.js';
import type { AnswerCapture } from '../mirror-diff/capture.js';
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
  capture?: AnswerCapture,
): void {
  const ep = sender.take(t);
  if (ep === undefined) {
    capture?.fail();
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
    new MirrorCopy(sender, ep, capture),
  );
}

/**
 * One copy in flight: releases its endpoint to the balancer at the reply's headers (or on an error before
 * them), without a success/failure verdict, so the mirror's in-flight count and latency stay true. With a
 * capture (mirror diff), the reply is kept for the comparison instead of thrown away.
 */
class MirrorCopy implements Dispatcher.DispatchHandler {
  private released = false;
  private readonly sentAt = performance.now();

  constructor(
    private readonly sender: MirrorSender,
    private readonly ep: MirrorEndpoint,
    private readonly capture: AnswerCapture | undefined,
  ) {}

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.ep.done(performance.now() - this.sentAt, undefined);
  }

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.release();
    this.capture?.head(statusCode, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.capture?.data(chunk);
    return true;
  }

  onComplete(): void {
    this.release();
    this.sender.settle();
    this.capture?.end();
  }

  onError(): void {
    this.release();
    this.sender.settle();
    this.capture?.fail();
  }
}
