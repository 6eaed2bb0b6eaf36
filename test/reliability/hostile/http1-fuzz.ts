import fc from 'fast-check';

/**
 * fast-check arbitraries of HTTP/1.1 requests, mostly well-formed with hostile mutations: methods and
 * tokens, request targets with control characters, versions, header names and values with CR, LF, NUL
 * and obs-fold, conflicting framing headers (Content-Length / Transfer-Encoding), bodies that disagree
 * with them, and line endings of LF or CR alone.
 */
const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const anyByte = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const hostile = fc.oneof(
  { weight: 6, arbitrary: printable },
  { weight: 1, arbitrary: anyByte },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\x00', '\r\n ', '\t', ' ') },
);

const method = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'),
  },
  { weight: 1, arbitrary: hostile },
);
const target = fc.oneof(
  { weight: 4, arbitrary: printable.map((p) => `/${p}`) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'http://web/x', '//x', '/%00', '/..%2f..', 'web:80') },
  { weight: 1, arbitrary: hostile },
);
const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.10', 'http/1.1', '') },
  { weight: 1, arbitrary: hostile },
);
const framing = fc.oneof(
  fc.nat({ max: 64 }).map((n) => ['Content-Length', String(n)] as [string, string]),
  fc.constantFrom<[string, string]>(
    ['Transfer-Encoding', 'chunked'],
    ['Transfer-Encoding', 'chunked, identity'],
    ['Transfer-Encoding', 'gzip, chunked'],
    ['Transfer-Encoding', ' chunked'],
    ['Content-Length', '-1'],
    ['Content-Length', '1, 2'],
    ['Content-Length', '0x10'],
    ['Content-Length', '99999999999999999999'],
  ),
);
const header = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'X-A',
        'Accept',
        'User-Agent',
        'Cookie',
        'Connection',
        'Upgrade',
        'Expect',
        'Te',
        'Trailer',
        'Host',
      ),
      printable,
    ),
  },
  { weight: 2, arbitrary: framing },
  { weight: 1, arbitrary: fc.tuple(hostile, hostile) },
);
const eol = fc.oneof(
  { weight: 8, arbitrary: fc.constant('\r\n') },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n') },
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: anyByte },
  { weight: 1, arbitrary: fc.nat({ max: 40 }).map((n) => `${n.toString(16)}\r\n${'b'.repeat(n)}\r\n0\r\n\r\n`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: web\r\n\r\n',
      'zz\r\n',
      'ffffffffffffffffffff\r\n',
    ),
  },
);

export interface FuzzRequest {
  bytes: Buffer;
  /** what was generated, for the failure message */
  parts: { method: string; target: string; version: string; headers: Array<[string, string]>; body: string };
}

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method,
    target,
    version,
    host: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    headers: fc.array(header, { maxLength: 8 }),
    eol,
    body,
  })
  .map(({ method, target, version, host, headers, eol, body }) => {
    const all: Array<[string, string]> = host ? [['Host', 'web'], ...headers] : headers;
    const head = `${method} ${target} ${version}${eol}${all.map(([n, v]) => `${n}: ${v}${eol}`).join('')}${eol}`;
    return {
      bytes: Buffer.from(head + body, 'latin1'),
      parts: { method, target, version, headers: all, body },
    };
  });
