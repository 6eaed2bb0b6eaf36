import { connect } from 'node:net';
import { HOST } from '../../proxy/support/harness.js';

export interface RawOutcome {
  /** the status of every response received, in order */
  statuses: number[];
  /** whether the proxy closed the connection (FIN or reset) before `waitMs` */
  closed: boolean;
  /** ms from the last write to the close (or to giving up) */
  elapsedMs: number;
  text: string;
}

/**
 * Send `parts` on a fresh connection (with `gapMs` between them), then read until the proxy closes the
 * connection or `waitMs` passes after the last write. Every wait is bounded.
 */
export function rawExchange(
  port: number,
  parts: Array<string | Buffer>,
  o: { gapMs?: number; waitMs?: number; /** half-close after the last write */ end?: boolean } = {},
): Promise<RawOutcome> {
  const waitMs = o.waitMs ?? 3_000;
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const chunks: Buffer[] = [];
    let lastWrite = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, closed, elapsedMs: Date.now() - lastWrite, text });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        if (done || socket.destroyed) return;
        socket.write(part);
        lastWrite = Date.now();
      }
      if (o.end === true && !done) socket.end();
      timer = setTimeout(() => finish(false), waitMs);
    });
  });
}
