import { describe, expect, it } from 'vitest';
import { classify } from '../../../proxy/protocol/detect.js';

describe('protocol detection (classify)', () => {
  it.each([
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'],
    ['PRI * HTTP/2.0', 'h2'],
    ['PRI * HT', undefined],
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'http1'],
    ['GET / HTTP/1.1', 'http1'],
    ['POST /a?b=c HTTP/1.0\r\n', 'http1'],
    ['OPTIONS * HTTP/1.1\r\n', 'http1'],
    ['GET /a-very-long-path-with-no-end-yet', 'http1'],
    ['GET /', undefined],
    ['G', undefined],
    ['hello\n', 'opaque'],
    ['hello world\n', 'opaque'],
    // HTTP/1 syntax with another version, or none (HTTP/0.9): HTTP, refused by the proxy itself (400)
    // rather than passed to the app opaque, where a lenient parser would take it past the proxy's policy
    ['GET / HTTP/2.0\r\n', 'http1'],
    ['GET /admin\r\nHost: x\r\n\r\n', 'http1'],
    ['get key-of-memcached\r\n', 'opaque'],
    ['GET / FTP/1.1\r\n', 'opaque'],
    ['GET  / HTTP/1.1\r\n', 'opaque'],
    ['SSH-2.0-OpenSSH_9.2\r\n', 'opaque'],
    ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'tls'],
    ['\x16', undefined],
    ['\x16\x01\x00', 'opaque'],
    ['*1\r\n$4\r\nPING\r\n', 'opaque'],
    ['AVERYLONGTOKENWITHOUTSPACE', 'opaque'],
  ])('%j -> %s', (text, want) => {
    expect(classify(Buffer.from(text, 'latin1'))).toBe(want);
  });
});
