import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST } from '../../proxy/support/harness.js';
import {
  CONTINUATION,
  DATA,
  END_HEADERS,
  END_STREAM,
  frame,
  GOAWAY,
  HEADERS,
  headerBlock,
  parseFrames,
  PING,
  PREFACE,
  requestHeaders,
  RST_STREAM,
  rstStream,
  settings,
} from './h2-frames.js';
import { heapUsed, startTargets, TEST_LIMITS, wellBehavedClient, type Targets } from './support.js';

/**
 * Known HTTP/2 attacks, as hand-built frames on a raw socket, against both proxies: each ends in a
 * GOAWAY, refused streams or a closed connection within the limits, the heap stays bounded, and a
 * well-behaved client on the same port sees no error meanwhile.
 */

interface H2Outcome {
  closed: boolean;
  goaway: boolean;
  /** stream ids the proxy reset */
  resets: number[];
  /** stream ids that got response HEADERS */
  answered: number[];
  elapsedMs: number;
}

/** send the preface, an empty SETTINGS and `frames` (produced lazily), then read until close or `waitMs` */
function h2Attack(port: number, frames: () => Iterable<Buffer>, waitMs: number): Promise<H2Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const received: Buffer[] = [];
    let lastWrite = Date.now();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseFrames(Buffer.concat(received));
      resolve({
        closed,
        goaway: parsed.some((f) => f.type === GOAWAY),
        resets: parsed.filter((f) => f.type === RST_STREAM).map((f) => f.streamId),
        answered: parsed.filter((f) => f.type === HEADERS).map((f) => f.streamId),
        elapsedMs: Date.now() - lastWrite,
      });
    };
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      socket.write(Buffer.concat([PREFACE, settings()]));
      let batch: Buffer[] = [];
      for (const f of frames()) {
        if (done) return;
        batch.push(f);
        if (batch.length >= 256) {
          const ok = socket.write(Buffer.concat(batch));
          batch = [];
          lastWrite = Date.now();
          // honour back-pressure so the attack measures the proxy, not this process's buffers
          if (!ok) await new Promise<void>((r) => (socket.once('drain', r), socket.once('close', r)));
        }
      }
      if (!done && batch.length > 0) socket.write(Buffer.concat(batch));
      lastWrite = Date.now();
      timer = setTimeout(() => finish(false), waitMs);
    });
  });
}

const HEAP_BOUND = 48 * 1024 * 1024;

for (const side of ['inbound', 'outbound'] as const) {
  describe(`hostile HTTP/2 at the ${side} proxy`, () => {
    let t: Targets;
    let port: number;
    beforeAll(async () => {
      t = await startTargets();
      port = t.ports[side];
    });
    afterAll(() => t.close());

    async function underAttack(attack: () => Promise<H2Outcome>): Promise<H2Outcome> {
      const before = heapUsed();
      const good = wellBehavedClient(port);
      const outcome = await attack();
      const { ok, failures } = await good.stop();
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
      expect(heapUsed() - before).toBeLessThan(HEAP_BOUND);
      return outcome;
    }

    it('rapid reset (CVE-2023-44487): 20,000 streams opened and cancelled at once end in GOAWAY or a close, a bounded number forwarded', async () => {
      const before = t.app.seen.filter((l) => l.includes('/rr/')).length;
      const o = await underAttack(() =>
        h2Attack(
          port,
          function* () {
            for (let id = 1; id < 40_000; id += 2) {
              yield frame(HEADERS, END_HEADERS | END_STREAM, id, requestHeaders(`/rr/${id}`));
              yield rstStream(id);
            }
          },
          5_000,
        ),
      );
      expect(o.goaway || o.closed).toBe(true);
      // nghttp2 cuts the flood after a burst (about 1,750 streams on Node 20): bounded work upstream
      expect(t.app.seen.filter((l) => l.includes('/rr/')).length - before).toBeLessThan(5_000);
    }, 60_000);

    it('CONTINUATION flood: an endless header block is cut (GOAWAY or close) before it is buffered', async () => {
      const o = await underAttack(() =>
        h2Attack(
          port,
          function* () {
            yield frame(HEADERS, 0, 1, requestHeaders('/cont'));
            for (let i = 0; i < 50_000; i++)
              yield frame(CONTINUATION, 0, 1, headerBlock([[`x-c${i}`, 'v'.repeat(64)]]));
          },
          5_000,
        ),
      );
      expect(o.closed).toBe(true);
      expect(o.answered).toEqual([]);
    }, 60_000);

    it('SETTINGS flood: 50,000 SETTINGS frames cost bounded memory (closed, or acknowledged as they come)', async () => {
      await underAttack(() =>
        h2Attack(
          port,
          function* () {
            for (let i = 0; i < 50_000; i++) yield settings([[0x4, 65_535 + (i % 100)]]);
          },
          3_000,
        ),
      );
    }, 60_000);

    it('PING flood: 50,000 PINGs are bounded the same way', async () => {
      await underAttack(() =>
        h2Attack(
          port,
          function* () {
            for (let i = 0; i < 50_000; i++) yield frame(PING, 0, 0, Buffer.alloc(8, i % 256));
          },
          3_000,
        ),
      );
    }, 60_000);

    it('streams past maxConcurrentStreams are refused (RST_STREAM), the others served', async () => {
      const limit = TEST_LIMITS.maxConcurrentStreams!;
      const o = await underAttack(() =>
        h2Attack(
          port,
          function* () {
            // open streams that never end their request body
            for (let i = 0; i < limit + 50; i++)
              yield frame(HEADERS, END_HEADERS, 1 + 2 * i, requestHeaders(`/open/${i}`));
          },
          1_500,
        ),
      );
      expect(o.resets.length + (o.closed ? 1 : 0)).toBeGreaterThan(0);
    }, 60_000);

    it('a header list past maxH2HeaderListBytes is refused, not forwarded', async () => {
      const big: Array<[string, string]> = [];
      for (let i = 0; i < 1200; i++) big.push([`x-big-${i}`, 'v'.repeat(100)]);
      const block = headerBlock(big);
      const seen = t.app.seen.length;
      const o = await underAttack(() =>
        h2Attack(
          port,
          function* () {
            // SETTINGS_MAX_FRAME_SIZE is 16 KiB: the block goes in HEADERS + CONTINUATIONs
            const chunks: Buffer[] = [];
            for (let i = 0; i < block.length; i += 16_000) chunks.push(block.subarray(i, i + 16_000));
            const head = Buffer.concat([requestHeaders('/huge'), chunks[0]!]);
            yield frame(HEADERS, END_STREAM | (chunks.length === 1 ? END_HEADERS : 0), 1, head);
            for (let i = 1; i < chunks.length; i++)
              yield frame(CONTINUATION, i === chunks.length - 1 ? END_HEADERS : 0, 1, chunks[i]);
          },
          2_000,
        ),
      );
      expect(o.resets.includes(1) || o.closed || o.goaway).toBe(true);
      expect(t.app.seen.slice(seen).filter((l) => l.includes('/huge'))).toEqual([]);
    }, 30_000);

    it('DATA on stream 0 is a protocol error: GOAWAY and close', async () => {
      const o = await underAttack(() => h2Attack(port, () => [frame(DATA, 0, 0, Buffer.from('x'))], 3_000));
      expect(o.goaway).toBe(true);
      expect(o.closed).toBe(true);
    });

    it('an idle session (preface, then nothing) is closed at the idle timeout', async () => {
      const o = await h2Attack(port, () => [], TEST_LIMITS.idleTimeoutMs! + 3_000);
      expect(o.goaway).toBe(true);
      expect(o.closed).toBe(true);
      expect(o.elapsedMs).toBeLessThan(TEST_LIMITS.idleTimeoutMs! + 2_000);
    });
  });
}
