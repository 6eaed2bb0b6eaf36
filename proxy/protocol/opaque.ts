import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';

/** Where an opaque connection goes, and who hears how it went (balancer feedback). */
export interface OpaqueTarget {
  address: string;
  port: number;
  /** called once when the connection is over: its duration, and whether it failed (connect error, reset) */
  done?(durationMs: number, failed: boolean): void;
  /**
   * open an mTLS connection instead of plain TCP (tls/connect.ts); nothing is written to it before its
   * handshake, the server's identity check included, has passed
   */
  secure?(allowHalfOpen: boolean): TLSSocket;
}

/** the upstream connection of `target`; `ready` is called with it once bytes may be written to it */
export function openUpstream(target: OpaqueTarget, allowHalfOpen: boolean, ready: (upstream: Socket) => void): Socket {
  if (target.secure === undefined) {
    const upstream = connect({ host: target.address, port: target.port, allowHalfOpen, noDelay: true });
    ready(upstream); // net buffers writes until connected
    return upstream;
  }
  const upstream = target.secure(allowHalfOpen);
  upstream.once('secureConnect', () => ready(upstream));
  return upstream;
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
    reset(client);
    return;
  }
  const start = performance.now();
  let failed = false;
  let finished = false;
  const upstream = openUpstream(target, true, (up) => {
    if (prefix.length > 0) up.write(prefix);
    client.pipe(up);
    up.pipe(client);
    client.resume();
  });
  track?.(upstream);
  const finish = () => {
    if (finished) return;
    finished = true;
    target.done?.(performance.now() - start, failed);
  };
  upstream.on('error', () => {
    failed = true;
    if (!client.destroyed) reset(client);
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
}

/** reset a TCP client (RST); a decrypted mTLS stream has no TCP handle of its own and is just destroyed */
function reset(client: Socket): void {
  if ((client as { encrypted?: boolean }).encrypted === true) client.destroy();
  else client.resetAndDestroy();
}
