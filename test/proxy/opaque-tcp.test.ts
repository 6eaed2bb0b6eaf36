import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startInboundProxy, startOutboundProxy } from '../../proxy/index.js';
import { endpoints, freePort, HOST, ManualConfigSource, service } from './support/harness.js';
import { RawClient } from './support/raw.js';

/**
 * A line protocol: each line is answered `<name> says <LINE>`; `bye` ends the app's side. When the
 * client half-closes, the app answers `<name> got N bytes` and ends too. `banner` apps speak first.
 */
async function startLineApp(name: string, banner = false): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (banner) s.write(`220 ${name} ready\r\n`);
    let buffered = '';
    let bytes = 0;
    s.on('data', (c: Buffer) => {
      bytes += c.length;
      buffered += c.toString('latin1');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'bye') s.end(`${name} bye\n`);
        else s.write(`${name} says ${line.toUpperCase()}\n`);
      }
    });
    s.on('end', () => {
      // the client is done sending; this side may still answer
      setTimeout(() => s.end(`${name} got ${bytes} bytes\n`), 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('opaque TCP through the mesh', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  /** client -> outbound (Service `lines`) -> inbound -> line app */
  async function setup(banner = false, detectTimeoutMs = 300): Promise<(port?: number) => RawClient> {
    const app = await startLineApp('lines', banner);
    const inbound = await startInboundProxy({ appPort: app.port, detectTimeoutMs });
    const svc = service('lines', await freePort());
    const outbound = await startOutboundProxy({
      configSource: new ManualConfigSource({
        services: [svc],
        httpRoutes: [],
        endpoints: [endpoints(svc, [{ port: inbound.port }])],
      }),
      detectTimeoutMs,
    });
    cleanup.push(
      () => app.close(),
      () => inbound.close({ drainMs: 100 }),
      () => outbound.close({ drainMs: 100 }),
    );
    return (port = svc.spec.ports[0]!.port) => {
      const c = new RawClient(port);
      cleanup.push(() => c.close());
      return c;
    };
  }

  it('a line protocol passes through unchanged, in both directions', async () => {
    const client = await setup();
    const c = client();
    c.write('hello\n');
    expect(await c.until((t) => t.includes('\n'))).toBe('lines says HELLO\n');
    c.write('second line\nthird');
    c.write(' part\n');
    await c.until((t) => t.split('\n').length === 4);
    expect(c.received.toString()).toBe('lines says HELLO\nlines says SECOND LINE\nlines says THIRD PART\n');
  });

  it('binary bytes that are not HTTP pass unchanged', async () => {
    const client = await setup();
    const c = client();
    // a TLS record header (not HTTP, not h2), a NUL, then a newline
    const bytes = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x00, 0x0a]);
    c.write(bytes);
    await c.until((t) => t.endsWith('\n'));
    expect(c.received).toEqual(Buffer.concat([Buffer.from('lines says '), bytes]));
  });

  it('half-close: the client ends its side and still gets the answer', async () => {
    const client = await setup();
    const c = client();
    c.write('abc\n');
    await c.until((t) => t.includes('ABC'));
    c.socket.end();
    await c.end();
    expect(c.received.toString()).toBe('lines says ABC\nlines got 4 bytes\n');
  });

  it('the server ending its side reaches the client', async () => {
    const client = await setup();
    const c = client();
    c.write('bye\n');
    await c.end();
    expect(c.received.toString()).toBe('lines bye\n');
  });

  it('a client that says nothing is connected after the detection timeout (server speaks first)', async () => {
    const client = await setup(true, 300);
    const c = client();
    await c.connected();
    const started = performance.now();
    expect(await c.until((t) => t.includes('\r\n'), 10_000)).toBe('220 lines ready\r\n');
    // outbound then inbound each waited for the client's first bytes
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    c.write('quit\n');
    expect(await c.until((t) => t.includes('QUIT'))).toContain('lines says QUIT\n');
  });

  it('no endpoint: the connection is reset', async () => {
    const svc = service('nobody', await freePort());
    const outbound = await startOutboundProxy({
      configSource: new ManualConfigSource({ services: [svc], httpRoutes: [], endpoints: [endpoints(svc, [])] }),
      detectTimeoutMs: 200,
    });
    cleanup.push(() => outbound.close({ drainMs: 100 }));
    const c = new RawClient(svc.spec.ports[0]!.port);
    cleanup.push(() => c.close());
    c.write('hello\n');
    await c.end();
    expect(c.received.length).toBe(0);
  });
});
