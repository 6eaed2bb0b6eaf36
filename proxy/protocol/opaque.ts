import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Where an opaque connection goes, and who hears how it went (balancer feedback). */
export interface OpaqueTarget {
  address: string;
  port: number;
  /** called once when the connection is over: its duration, and whether it failed (connect error, reset) */
  done?(durationMs: number, failed: boolean): void;
}

/**
 * Opaque TCP: connect to `target`, replay `prefix` (the bytes protocol detection read), then copy bytes
 * both ways with back-pressure (`pipe`). Half-close is kept: a FIN from one side is passed on as a FIN
 * to the other, which may go on sending. A failed connect resets the client; a reset on either side
 * destroys the other. `track` is told about the upstream socket so that closing the proxy can cut it.
 */
export function forwardOpaque(
  client: Socket,
  prefix: Buffer,
  target: OpaqueTarget | undefined,
  track?: (upstream: Socket) => void,
): void {
  if (target === undefined) {
    client.resetAndDestroy();
    return;
  }
  const start = performance.now();
  let failed = false;
  let finished = false;
  const upstream = connect({ host: target.address, port: target.port, allowHalfOpen: true, noDelay: true });
  track?.(upstream);
  if (prefix.length > 0) upstream.write(prefix);
  const finish = () => {
    if (finished) return;
    finished = true;
    target.done?.(performance.now() - start, failed);
  };
  upstream.on('error', () => {
    failed = true;
    if (!client.destroyed) client.resetAndDestroy();
  });
  client.on('error', () => {
    if (!upstream.destroyed) upstream.destroy();
  });
  upstream.on('close', () => {
    finish();
    // the upstream is gone: once its bytes are flushed the client connection has nothing left to carry
    if (!client.destroyed && client.writableFinished) client.destroy();
  });
  client.on('close', () => {
    if (!upstream.destroyed && upstream.writableFinished) upstream.destroy();
  });
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}
