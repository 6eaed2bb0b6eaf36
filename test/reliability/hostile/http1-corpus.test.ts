import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from './raw-exchange.js';
import { heapUsed, startTargets, TEST_LIMITS, wellBehavedClient, type Targets } from './support.js';

/**
 * A corpus of known HTTP/1.1 request-smuggling and resource attacks against both proxies. Each case is
 * refused: a 4xx or a closed connection, within the limits of `TEST_LIMITS` (protocol/limits.ts), never
 * reaching the app as a second (smuggled) request, while a well-behaved client on the same port sees no
 * error and the proxy's heap stays bounded.
 */

const H = 'Host: web\r\n';
/** cases whose only right answer is a refusal (4xx or close) and where nothing named SMUGGLED may reach the app */
const REFUSED: Array<[string, string | string[]]> = [
  [
    'CL.TE: Content-Length and Transfer-Encoding: chunked together',
    `POST /a HTTP/1.1\r\n${H}Content-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\n${H}\r\n`,
  ],
  [
    'TE.CL: Transfer-Encoding: chunked and a short Content-Length',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2a\r\nGET /SMUGGLED HTTP/1.1\r\n${H}X: y\r\n\r\n\r\n0\r\n\r\n`,
  ],
  [
    'TE.TE: an obfuscated second Transfer-Encoding',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\n${H}\r\n`,
  ],
  [
    'Transfer-Encoding with a space before the colon',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  ],
  ['Transfer-Encoding: xchunked', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  [
    'duplicate Content-Length with different values',
    `POST /a HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET /SMUGGLED HTTP/1.1\r\n${H}\r\n`,
  ],
  ['a Content-Length list', `POST /a HTTP/1.1\r\n${H}Content-Length: 5, 40\r\n\r\nhello`],
  ['a negative Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ['a Content-Length with a sign', `POST /a HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`],
  ['a Content-Length past 2^64', `POST /a HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n`],
  ['obs-fold: a header continued on the next line', `GET /a HTTP/1.1\r\n${H}X-Folded: one\r\n two\r\n\r\n`],
  ['obs-fold of Transfer-Encoding', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
  [
    'an invalid chunk size (not hex)',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
  ],
  [
    'a chunk size that overflows 64 bits',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nhello\r\n0\r\n\r\n`,
  ],
  ['a negative chunk size', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n`],
  [
    'chunk data longer than its size',
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nhelloGET /SMUGGLED HTTP/1.1\r\n\r\n0\r\n\r\n`,
  ],
  [
    'a bare CR inside a header value (header injection)',
    `GET /a HTTP/1.1\r\n${H}X-Injected: one\rGET /SMUGGLED\r\n\r\n`,
  ],
  ['a NUL inside a header value', `GET /a HTTP/1.1\r\n${H}X-Nul: one\x00two\r\n\r\n`],
  ['a header name with a space', `GET /a HTTP/1.1\r\n${H}X Bad: one\r\n\r\n`],
  ['a header line without a colon', `GET /a HTTP/1.1\r\n${H}NoColonHere\r\n\r\n`],
  ['two Host headers', `GET /a HTTP/1.1\r\n${H}${H}\r\n`],
  ['HTTP/1.1 without a Host', `GET /a HTTP/1.1\r\n\r\n`],
  ['a CR/LF smuggled into the request target', `GET /a\r\nX: y HTTP/1.1\r\n${H}\r\n`],
  ['an unknown HTTP version', `GET /a HTTP/1.7\r\n${H}\r\n`],
  ['HTTP/2.0 in HTTP/1 syntax', `GET /a HTTP/2.0\r\n${H}\r\n`],
  ['HTTP/0.9 (a request line without version)', `GET /a\r\n${H}\r\n`],
  ['a header of 32 KiB (past maxHeaderBytes)', `GET /a HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`],
  [
    '4,000 small headers (past maxHeaderBytes)',
    `GET /a HTTP/1.1\r\n${H}${Array.from({ length: 4000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
  ],
  ['a request target of 32 KiB', `GET /${'a'.repeat(32 * 1024)} HTTP/1.1\r\n${H}\r\n`],
];

for (const side of ['inbound', 'outbound'] as const) {
  describe(`hostile HTTP/1.1 at the ${side} proxy`, () => {
    let t: Targets;
    let port: number;
    beforeAll(async () => {
      t = await startTargets();
      port = t.ports[side];
    });
    afterAll(() => t.close());

    it('refuses every smuggling and malformed-request case with a 4xx or a close, nothing smuggled reaches the app, a concurrent client sees no error', async () => {
      const good = wellBehavedClient(port);
      const outcomes: string[] = [];
      for (const [name, bytes] of REFUSED) {
        const o = await rawExchange(port, Array.isArray(bytes) ? bytes : [bytes], { waitMs: 4_000 });
        const refused = o.statuses.length > 0 ? o.statuses.every((s) => s >= 400 && s < 500) : o.closed;
        if (!refused)
          outcomes.push(`${name}: statuses ${o.statuses.join(',')} closed ${o.closed}: ${o.text.slice(0, 200)}`);
        // answered within the header timeout (plus the check interval)
        expect(o.elapsedMs, name).toBeLessThan(TEST_LIMITS.headersTimeoutMs! + 2_000);
      }
      const { ok, failures } = await good.stop();
      expect(outcomes).toEqual([]);
      expect(t.app.seen.filter((l) => l.includes('SMUGGLED'))).toEqual([]);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(10);
    });

    it('slowloris: headers dribbled one byte at a time are cut at the header timeout (408 or close)', async () => {
      const good = wellBehavedClient(port);
      const head = `GET /slow HTTP/1.1\r\n${H}X-Slow: `;
      const start = Date.now();
      const drip = Array.from({ length: 40 }, () => 'a');
      const o = await rawExchange(port, [head, ...drip], { gapMs: 100, waitMs: 4_000 });
      const total = Date.now() - start;
      expect(o.closed).toBe(true);
      expect(o.statuses.every((s) => s === 408)).toBe(true);
      expect(total).toBeLessThan(TEST_LIMITS.headersTimeoutMs! + 2_000);
      const { failures } = await good.stop();
      expect(failures).toEqual([]);
    });

    it('a slow body is cut at the request timeout', async () => {
      const head = `POST /slow-body HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\n`;
      const start = Date.now();
      const o = await rawExchange(port, [head, ...Array.from({ length: 60 }, () => 'b')], {
        gapMs: 100,
        waitMs: 4_000,
      });
      expect(o.closed).toBe(true);
      expect(Date.now() - start).toBeLessThan(TEST_LIMITS.requestTimeoutMs! + 2_500);
    });

    it('an idle keep-alive connection is closed at the idle timeout', async () => {
      const o = await rawExchange(port, [`GET /idle HTTP/1.1\r\n${H}\r\n`], { waitMs: 8_000 });
      expect(o.statuses).toEqual([200]);
      expect(o.closed).toBe(true);
      expect(o.elapsedMs).toBeLessThan(TEST_LIMITS.idleTimeoutMs! + 2_000);
    });

    it('a 64 MiB body is streamed to the app, not buffered: the heap grows by far less than the body', async () => {
      // its own proxies, with room to upload 64 MiB on a loaded machine (the others' request timeout is 3 s)
      const big = await startTargets({ ...TEST_LIMITS, requestTimeoutMs: 120_000 });
      try {
        await bigBody(big, big.ports[side]);
      } finally {
        await big.close();
      }
    }, 150_000);
  });
}

/** POST 64 MiB on a fresh connection: all of it reaches the app, the heap (and Buffers) grow by < 32 MiB */
async function bigBody(t: Targets, port: number): Promise<void> {
  const before = heapUsed();
  const size = 64 * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const bytesBefore = t.app.bodyBytes;
  const parts: Buffer[] = [Buffer.from(`POST /big HTTP/1.1\r\n${H}Content-Length: ${size}\r\n\r\n`)];
  for (let i = 0; i < size / chunk.length; i++) parts.push(chunk);
  const o = await rawExchange(port, parts, { waitMs: 120_000 });
  expect(o.statuses).toEqual([200]);
  expect(t.app.bodyBytes - bytesBefore).toBe(size);
  expect(heapUsed() - before).toBeLessThan(32 * 1024 * 1024);
}
