import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, podPort } from '../../controlplane/runtime/net.js';

function bind(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      resolve(() => new Promise((done) => srv.close(() => done()))),
    );
  });
}

// A port taken from listen(0) is one outgoing connections also take their source ports from: an app that binds it
// seconds later may find it in use (EADDRINUSE, on every restart while that connection lives).
describe("a pod's ports", () => {
  it('are free, outside the ephemeral range and above 10000, and never handed out twice', async () => {
    const [lo, hi] = ephemeralPortRange();
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeGreaterThanOrEqual(lo);
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await podPort());
    expect(new Set(ports).size).toBe(200);
    expect(ports.filter((p) => p < 10_000 || (p >= lo && p <= hi))).toEqual([]);
    // each one can be bound by the pod's process
    for (const p of ports.slice(0, 20)) await (await bind(p))();
  });

  it('skip a port someone already listens on', async () => {
    // a range that leaves one span of 1001 ports above it, half of them taken: only the free ones come back
    const range: [number, number] = [10_000, 64_534];
    const taken: Array<() => Promise<void>> = [];
    try {
      for (let p = 64_535; p <= 65_535; p += 2) taken.push(await bind(p).catch(() => async () => {}));
      for (let i = 0; i < 50; i++) {
        const p = await podPort('127.0.0.1', range);
        expect(p).toBeGreaterThan(64_534);
        await (
          await bind(p)
        )();
      }
    } finally {
      for (const close of taken) await close();
    }
  });

  it('come from listen(0) when the ephemeral range leaves no room beside it', async () => {
    const p = await podPort('127.0.0.1', [1024, 65_535]);
    expect(p).toBeGreaterThan(0);
    await (
      await bind(p)
    )();
  });
});
