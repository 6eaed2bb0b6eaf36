import type { Server as NetServer } from 'node:net';

/** What `drainServer` closes: an http.Server, or a protocol-detecting front (protocol/listener.ts). */
export interface DrainableServer {
  readonly listening: boolean;
  close(callback?: (err?: Error) => void): unknown;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/**
 * In-flight requests of one server, counted without per-request listeners, so that closing can stop
 * accepting, wait for them, and then cut idle keep-alive connections.
 */
export class Inflight {
  count = 0;
  /** set while closing: responses then carry `connection: close` */
  draining = false;
  private waiters: Array<() => void> = [];

  enter(): void {
    this.count++;
  }

  leave(): void {
    this.count--;
    if (this.count === 0 && this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
  }

  /** resolves when nothing is in flight, or after `timeoutMs` */
  idle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Stop accepting, let in-flight requests finish (up to `drainMs`), then close every remaining
 * connection and wait for the server to be closed.
 */
export async function drainServer(server: DrainableServer, inflight: Inflight, drainMs: number): Promise<void> {
  inflight.draining = true;
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
  server.closeIdleConnections();
  await inflight.idle(drainMs);
  server.closeAllConnections();
  await closed;
}

/** Listen and resolve with the bound port, or reject with the listen error (EADDRINUSE, EACCES, ...). */
export function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
