import type { Socket } from 'node:net';

/**
 * The server name (SNI) a TLS client asks for, read from its ClientHello before any TLS is done, so
 * that the inbound side can decide to terminate (the SNI is the proxy's own identity) or pass the
 * connection through untouched (any other name), as Linkerd's inbound does (linkerd.md 1.2).
 */

/** the largest TLS record (2^14 bytes of plaintext, plus the 5-byte header and expansion) */
const MAX_RECORD = 5 + (1 << 14) + 2048;

/**
 * The ClientHello's SNI host name from the first TLS record in `buf`: a string, `null` when the
 * ClientHello has none or is not one, `undefined` when `buf` does not hold the whole record yet.
 * Pure; never throws on malformed input.
 */
export function sniOf(buf: Buffer): string | null | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== 0x16) return null;
  const recordLength = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLength) return undefined;
  const end = 5 + recordLength;
  let i = 5;
  // handshake header: type 1 (ClientHello), 3-byte length
  if (end - i < 4 || buf[i] !== 1) return null;
  i += 4;
  i += 2 + 32; // client version, random
  if (i >= end) return null;
  i += 1 + (buf[i] as number); // session id
  if (i + 2 > end) return null;
  i += 2 + buf.readUInt16BE(i); // cipher suites
  if (i >= end) return null;
  i += 1 + (buf[i] as number); // compression methods
  if (i + 2 > end) return null;
  const extEnd = Math.min(end, i + 2 + buf.readUInt16BE(i));
  i += 2;
  while (i + 4 <= extEnd) {
    const type = buf.readUInt16BE(i);
    const len = buf.readUInt16BE(i + 2);
    i += 4;
    if (i + len > extEnd) return null;
    if (type === 0) {
      // server_name: list length, then entries of (type 0 = host_name, 2-byte length, name)
      let j = i + 2;
      const listEnd = Math.min(i + len, j + buf.readUInt16BE(i));
      while (j + 3 <= listEnd) {
        const nameType = buf[j] as number;
        const nameLen = buf.readUInt16BE(j + 1);
        j += 3;
        if (j + nameLen > listEnd) return null;
        if (nameType === 0) return buf.toString('latin1', j, j + nameLen);
        j += nameLen;
      }
      return null;
    }
    i += len;
  }
  return null;
}

/**
 * Read from `socket` (left paused by detection, `prefix` already read) until the first TLS record is
 * whole, then call `done` once with its SNI (`null`: none, or not parseable) and every byte read, the
 * socket paused again with no listener left. A client that stays silent for `timeoutMs`, or goes
 * away, is destroyed and `done` is not called.
 */
export function readClientHello(
  socket: Socket,
  prefix: Buffer,
  timeoutMs: number,
  done: (sni: string | null, bytes: Buffer) => void,
): void {
  let buf = prefix;
  const first = sniOf(buf);
  if (first !== undefined) {
    done(first, buf);
    return;
  }
  const finish = (sni: string | null | undefined) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('error', onGone);
    if (sni === undefined) {
      socket.destroy();
      return;
    }
    socket.pause();
    done(sni, buf);
  };
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const sni = sniOf(buf);
    if (sni !== undefined) finish(sni);
    else if (buf.length >= MAX_RECORD) finish(null);
  };
  const onGone = () => finish(undefined);
  const timer = setTimeout(onGone, timeoutMs);
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('error', onGone);
  socket.resume();
}
