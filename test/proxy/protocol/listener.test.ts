import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startOutboundProxy } from '../../../proxy/index.js';
import { Client, endpoints, freePort, ManualConfigSource, service, startEcho } from '../support/harness.js';
import { H2TestClient } from '../support/h2.js';
import { RawClient } from '../support/raw.js';

describe('one listener for every protocol: closing', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  it('close() cuts idle HTTP/1.1 keep-alive, h2 and opaque connections without waiting for the drain budget', async () => {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    const svc = service('web', await freePort());
    const port = svc.spec.ports[0]!.port;
    const proxy = await startOutboundProxy({
      configSource: new ManualConfigSource({
        services: [svc],
        httpRoutes: [],
        endpoints: [endpoints(svc, [{ port: app.port }])],
      }),
      detectTimeoutMs: 200,
    });
    let closed = false;
    cleanup.push(() => (closed ? undefined : proxy.close({ drainMs: 100 })));

    const h1 = new Client();
    cleanup.push(() => h1.close());
    expect((await h1.send(port, '/')).status).toBe(200); // the connection stays open (keep-alive)
    const h2 = new H2TestClient(port);
    cleanup.push(() => h2.close());
    await new Promise<void>((resolve) => h2.session.once('connect', () => resolve()));
    const raw = new RawClient(port);
    cleanup.push(() => raw.close());
    raw.write('not http at all\n');
    await new Promise((r) => setTimeout(r, 300));

    const started = performance.now();
    await proxy.close({ drainMs: 5_000 });
    closed = true;
    expect(performance.now() - started).toBeLessThan(2_000);
    await raw.end();
    await new Promise<void>((resolve) => (h2.session.closed ? resolve() : h2.session.once('close', () => resolve())));
  });
});
