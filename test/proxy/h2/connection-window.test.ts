import { once } from 'node:events';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2Client } from '../../../proxy/h2/client.js';

/**
 * Regression: the upstream h2 session's connection window was never raised, because the call before it
 * (setNoDelay on the session's socket, which http2 refuses) threw and the raise sat in the same try.
 */
describe('upstream h2 sessions', () => {
  let server: Http2Server | undefined;
  let client: H2Client | undefined;
  afterEach(async () => {
    client?.close();
    if (server) await new Promise((r) => server!.close(r));
  });

  it('open with a 1 MiB connection receive window', async () => {
    server = createServer();
    server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    client = new H2Client(`http://127.0.0.1:${port}`);
    const lease = client.acquire();
    if (!lease.session.connecting) throw new Error('expected a new session');
    await once(lease.session, 'connect');
    const req = lease.session.request({ ':path': '/' });
    req.resume();
    await once(req, 'close');
    expect(lease.session.state.effectiveLocalWindowSize).toBeGreaterThanOrEqual(1 << 20);
    client.release(lease);
  });
});
