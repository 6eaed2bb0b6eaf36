import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';

/** The messages of a client stream, read one at a time with a bound. */
export class StreamReader<T> {
  private readonly queue: T[] = [];
  private readonly waiters: Array<() => boolean> = [];
  status: StatusObject | undefined;

  constructor(readonly call: ClientReadableStream<T>) {
    call.on('data', (m: T) => {
      this.queue.push(m);
      this.poke();
    });
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => {
      this.status = s;
      this.poke();
    });
  }

  /** the next message (fails after `timeoutMs`, or when the stream ended) */
  async next(timeoutMs = 5_000): Promise<T> {
    await this.until(() => this.queue.length > 0 || this.status !== undefined, timeoutMs, 'a message');
    if (this.queue.length === 0) throw new Error(`stream ended: ${this.status?.code} ${this.status?.details}`);
    return this.queue.shift() as T;
  }

  /** the stream's final status */
  async ended(timeoutMs = 5_000): Promise<StatusObject> {
    await this.until(() => this.status !== undefined, timeoutMs, 'the end of the stream');
    return this.status!;
  }

  /** messages received and not read yet */
  get buffered(): number {
    return this.queue.length;
  }

  private until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!cond()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      this.waiters.push(check);
    });
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) if (!w()) this.waiters.push(w);
  }
}
