import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Backoff } from './backoff.js';
import type { Timers } from './timers.js';

export interface WatchHandlers<T> {
  /** `first`: the first message since the stream was (re)opened, the start of a whole state */
  onMessage(message: T, first: boolean): void;
  /** the stream ended (control plane gone, stream closed on overflow, ...); it is reopened in `retryInMs` */
  onDown?(reason: StatusObject, retryInMs: number): void;
}

/**
 * One watch stream that does not give up: when it ends for any reason it is reopened after an
 * exponential backoff with jitter (reset by the first message of a new stream), and the server sends
 * the whole state again.
 */
export class ResilientWatch<T> {
  private call: ClientReadableStream<T> | undefined;
  private timer: unknown;
  private retry: object | undefined;
  private closed = false;

  constructor(
    private readonly open: () => ClientReadableStream<T>,
    private readonly handlers: WatchHandlers<T>,
    private readonly backoff: Backoff,
    private readonly timers: Timers,
  ) {}

  start(): this {
    this.connect();
    return this;
  }

  /** whether the stream is down and waiting for its backoff to reopen it */
  get waiting(): boolean {
    return !this.closed && this.call === undefined && this.retry !== undefined;
  }

  /** reopen now rather than at the end of the backoff (the channel is known to be back) */
  retryNow(): void {
    if (!this.waiting) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.retry = undefined;
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.timers.clearTimeout(this.timer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }

  private connect(): void {
    if (this.closed) return;
    const call = this.open();
    this.call = call;
    let first = true;
    let ended = false;
    const end = (reason: StatusObject): void => {
      if (ended || this.closed || this.call !== call) return;
      ended = true;
      this.call = undefined;
      const delay = this.backoff.next();
      this.handlers.onDown?.(reason, delay);
      // a retry made early (retryNow) makes this one stale, even where a clock cannot cancel it
      const retry = {};
      this.retry = retry;
      this.timer = this.timers.setTimeout(() => {
        if (this.retry !== retry) return;
        this.timer = undefined;
        this.retry = undefined;
        this.connect();
      }, delay);
    };
    call.on('data', (message: T) => {
      if (this.closed || this.call !== call) return;
      if (first) this.backoff.reset();
      const wasFirst = first;
      first = false;
      this.handlers.onMessage(message, wasFirst);
    });
    call.on('error', (err: Partial<StatusObject>) =>
      end({ code: err.code ?? status.UNKNOWN, details: err.details ?? String(err), metadata: err.metadata! }),
    );
    call.on('status', (s: StatusObject) => end(s));
  }
}
