import { status, type ServerWritableStream } from '@grpc/grpc-js';

/** Linkerd's destination controller keeps 100 updates per stream */
export const DEFAULT_STREAM_QUEUE = 100;

/**
 * The messages of one server stream waiting for its client, as Linkerd's bounded per-stream queue:
 * a write goes straight to the stream while the stream accepts it; once it pushes back (HTTP/2 flow
 * control: the client does not read), messages wait here; when more than `capacity` wait, the
 * stream is closed with RESOURCE_EXHAUSTED and everything queued is dropped. The client reconnects
 * and gets the whole state again; the server never blocks and never holds more than this per stream.
 */
export class StreamQueue<T> {
  private readonly pending: T[] = [];
  private waiting = false;
  private closed = false;

  constructor(
    private readonly call: ServerWritableStream<unknown, T>,
    private readonly capacity: number,
    private readonly onOverflow: () => void = () => undefined,
  ) {
    call.on('drain', () => this.flush());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(message: T): void {
    if (this.closed) return;
    if (this.waiting) {
      if (this.pending.length >= this.capacity) return this.overflow();
      this.pending.push(message);
      return;
    }
    if (!this.call.write(message)) this.waiting = true;
  }

  /** stop sending (the client went away or the server stops) */
  close(): void {
    this.closed = true;
    this.pending.length = 0;
  }

  private flush(): void {
    this.waiting = false;
    while (!this.closed && this.pending.length > 0) {
      if (!this.call.write(this.pending.shift() as T)) {
        this.waiting = true;
        return;
      }
    }
  }

  private overflow(): void {
    this.close();
    this.onOverflow();
    this.call.emit('error', {
      code: status.RESOURCE_EXHAUSTED,
      details: `update queue overflow: more than ${this.capacity} updates waiting for this client`,
    });
  }
}
