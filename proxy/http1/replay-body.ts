import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body into memory when it is small enough to be sent again (retries, mirrors).
 * `done(body, true)` with the whole body once it ended within `limit` bytes; `done(stream, false)` as
 * soon as it grows past `limit`, with a stream of what was read followed by the rest (sent once, never
 * retried); `done(undefined, false)` when the client went away first.
 */
export type BodyCallback = (body: Buffer | AsyncIterable<Buffer> | undefined, replayable: boolean) => void;

export function readReplayableBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const detach = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  };
  const onData = (c: Buffer) => {
    chunks.push(c);
    size += c.length;
    if (size > limit) {
      req.pause();
      detach();
      done(prefixThenRest(chunks, req), false);
    }
  };
  const onEnd = () => {
    detach();
    done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), true);
  };
  const onClose = () => {
    detach();
    done(undefined, false);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
}

async function* prefixThenRest(prefix: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield* prefix;
  yield* rest;
}

/** The request's Content-Length, or -1 when it has none (chunked) or it is malformed. */
export function contentLength(req: IncomingMessage): number {
  const v = req.headers['content-length'];
  if (v === undefined) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}
