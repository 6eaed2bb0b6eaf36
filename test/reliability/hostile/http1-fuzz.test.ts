import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRequest } from './http1-fuzz.js';
import { rawExchange } from './raw-exchange.js';
import { heapUsed, startTargets, wellBehavedClient, type Targets } from './support.js';

/** runs per proxy: a short run here, a long one in http1-fuzz.soak.test.ts (WEIR_FUZZ_RUNS) */
const RUNS = Number(process.env.WEIR_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.WEIR_FUZZ_SEED ?? Date.now() % 100_000);

for (const side of ['inbound', 'outbound'] as const) {
  describe(`fuzzed HTTP/1.1 requests at the ${side} proxy (fast-check, seed ${SEED})`, () => {
    let t: Targets;
    beforeAll(async () => {
      t = await startTargets();
    });
    afterAll(() => t.close());

    it(`${RUNS} generated requests: each answered with a status the proxy or app may give (2xx, 4xx) or closed; never a 5xx of the proxy, no crash, bounded heap, a concurrent client unharmed`, async () => {
      const port = t.ports[side];
      const good = wellBehavedClient(port);
      const before = heapUsed();
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (req) => {
          const o = await rawExchange(port, [req.bytes], { waitMs: 1_000, end: true });
          const bad = o.statuses.filter((s) => !((s >= 200 && s < 300) || (s >= 400 && s < 500)));
          if (bad.length > 0) throw new Error(`statuses ${o.statuses.join(',')}: ${o.text.slice(0, 300)}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      const { ok, failures } = await good.stop();
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
      expect(heapUsed() - before).toBeLessThan(48 * 1024 * 1024);
    }, 240_000);
  });
}
