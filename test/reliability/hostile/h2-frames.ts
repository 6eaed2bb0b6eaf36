/**
 * Hand-built HTTP/2 frames (RFC 9113 §4.1) for attacks a well-behaved client library never sends:
 * a 9-byte header (length, type, flags, stream id) and a payload. Header blocks are HPACK literals
 * without indexing, so every frame stands alone.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const DATA = 0x0;
export const HEADERS = 0x1;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const PING = 0x6;
export const GOAWAY = 0x7;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;

export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** an HPACK string literal (no Huffman), lengths below 127 */
function str(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  if (b.length >= 127) throw new Error('hpack literal too long for this helper');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** literal header fields without indexing, new names */
export function headerBlock(fields: Array<[string, string]>): Buffer {
  return Buffer.concat(fields.map(([n, v]) => Buffer.concat([Buffer.from([0x00]), str(n), str(v)])));
}

export function requestHeaders(path = '/', authority = 'web'): Buffer {
  return headerBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
  ]);
}

export function settings(pairs: Array<[number, number]> = []): Buffer {
  const p = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, value], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(SETTINGS, 0, 0, p);
}

export function rstStream(streamId: number, code = 0x8 /* CANCEL */): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code, 0);
  return frame(RST_STREAM, 0, streamId, p);
}

/** the frames a server sent, parsed from its byte stream after its (SETTINGS) preface */
export function parseFrames(buf: Buffer): Array<{ type: number; flags: number; streamId: number; payload: Buffer }> {
  const out = [];
  let i = 0;
  while (i + 9 <= buf.length) {
    const len = buf.readUIntBE(i, 3);
    if (i + 9 + len > buf.length) break;
    out.push({
      type: buf[i + 3] as number,
      flags: buf[i + 4] as number,
      streamId: buf.readUInt32BE(i + 5) & 0x7fffffff,
      payload: buf.subarray(i + 9, i + 9 + len),
    });
    i += 9 + len;
  }
  return out;
}
