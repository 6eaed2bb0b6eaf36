import { connect, type Socket } from 'node:net';
import { HOST } from './harness.js';

/** A raw TCP client that collects what it receives; every wait is bounded. */
export class RawClient {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  ended = false;
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connect({ host: HOST, port, allowHalfOpen: true });
    this.socket.on('data', (c: Buffer) => {
      this.received = Buffer.concat([this.received, c]);
      this.wake();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** resolves once `test` holds on what was received (or the peer ended), rejects after `timeoutMs` */
  until(test: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; received so far: ${JSON.stringify(this.received.toString('latin1'))}`)),
        timeoutMs,
      );
      const check = () => {
        const text = this.received.toString('latin1');
        if (test(text)) {
          clearTimeout(timer);
          resolve(text);
        } else if (this.ended || this.closed) {
          clearTimeout(timer);
          reject(new Error(`connection ended; received: ${JSON.stringify(text)}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** resolves when the peer has ended its side (FIN), rejects after `timeoutMs` */
  end(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer did not end')), timeoutMs);
      const check = () => {
        if (this.ended || this.closed) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}
