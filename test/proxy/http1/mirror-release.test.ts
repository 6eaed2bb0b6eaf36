import { createServer, type Server } from 'node:http';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { sendHttp1Mirror, type MirrorEndpoint } from '../../../proxy/http1/mirror.js';
import { MirrorSender } from '../../../proxy/mirror.js';

// Regression: HTTP/1.1 mirror copies picked an endpoint from the balancer but never released it, so the
// endpoint's in-flight count grew with every copy and P2C steered real traffic away from it.
describe('mirror copies release their endpoint', () => {
  let server: Server | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  it('once per copy, answered or failed', async () => {
    let fail = false;
    server = createServer((req, res) => {
      if (fail) req.socket.destroy();
      else res.end('ignored');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    pool = new Pool(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    const released: Array<boolean | undefined> = [];
    const ep: MirrorEndpoint = { pool, done: (_ms, failed) => void released.push(failed) };
    const sender = new MirrorSender(16, 2_000);
    for (let i = 0; i < 5; i++) sendHttp1Mirror(sender, { balancer: { pick: () => ep } }, 'GET', '/', [], null);
    fail = true;
    sendHttp1Mirror(sender, { balancer: { pick: () => ep } }, 'GET', '/', [], null);
    const deadline = Date.now() + 5_000;
    while (sender.stats.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sender.stats).toMatchObject({ sent: 6, inflight: 0 });
    expect(released).toHaveLength(6);
  });
});
