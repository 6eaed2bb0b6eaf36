import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import { Client, endpoints, freePort, ManualConfigSource, service, startEcho, type Echo } from './support/harness.js';

// client -> outbound listener of Service `web` (no routes: the default route) -> app
describe('outbound proxy: HTTP/1.1 forwarding', () => {
  let app: Echo;
  let proxy: OutboundProxy;
  let port: number;
  const client = new Client();

  beforeAll(async () => {
    app = await startEcho('web-1');
    port = await freePort();
    const web = service('web', port);
    const source = new ManualConfigSource({
      services: [web],
      httpRoutes: [],
      endpoints: [endpoints(web, [{ port: app.port }])],
    });
    proxy = await startOutboundProxy({ configSource: source });
  });
  afterAll(async () => {
    client.close();
    await proxy?.close({ drainMs: 100 });
    await app?.close();
  });

  it('listens on the Service port', () => {
    expect(proxy.listeners()).toEqual([
      { namespace: 'default', service: 'web', host: '127.0.0.1', port, listenPort: port },
    ]);
  });

  it('keeps method, path and query byte for byte', async () => {
    const path = '/a/../b//c%2Fd;x=1?q=%41%20b&q=2&empty=&flag#frag';
    const reply = await client.send(port, path, { method: 'PATCH' });
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body);
    expect(seen.method).toBe('PATCH');
    expect(seen.url).toBe(path);
    expect(reply.headers['x-served-by']).toBe('web-1');
  });

  it('keeps Host and end-to-end headers, repeated ones included, and strips hop-by-hop ones', async () => {
    // prettier-ignore
    const headers = [
      'Host', 'web.default.svc.cluster.local:8080',
      'X-Request-Id', 'abc',
      'X-Multi', 'one',
      'X-Multi', 'two',
      'Connection', 'keep-alive, X-Secret-Hop',
      'X-Secret-Hop', 'must not pass',
      'Keep-Alive', 'timeout=5',
      'Proxy-Authorization', 'Basic eA==',
      'TE', 'trailers',
    ];
    const reply = await client.send(port, '/h', { headers });
    const seen = JSON.parse(reply.body);
    expect(seen.headers.host).toBe('web.default.svc.cluster.local:8080');
    expect(seen.headers['x-request-id']).toBe('abc');
    expect(seen.headers['x-multi']).toBe('one, two');
    expect(seen.headers['x-secret-hop']).toBeUndefined();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
  });

  it('streams a POST body to the app (chunked and with a length)', async () => {
    const parts = [Buffer.alloc(64 * 1024, 'a'), Buffer.alloc(64 * 1024, 'b'), Buffer.from('end')];
    const chunked = await client.send(port, '/upload', { method: 'POST', body: parts });
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body).bodyLength).toBe(128 * 1024 + 3);
    const seen = app.seen.at(-1)!;
    expect(seen.body).toBe(Buffer.concat(parts).toString());
    expect(seen.rawHeaders.map((h) => h.toLowerCase())).toContain('transfer-encoding');

    const sized = await client.send(port, '/upload', {
      method: 'PUT',
      body: 'hello world',
      headers: { 'content-type': 'text/plain' },
    });
    const echoed = JSON.parse(sized.body);
    expect(echoed.body).toBe('hello world');
    expect(echoed.headers['content-length']).toBe('11');
  });

  it('streams a chunked response back as it comes', async () => {
    const reply = await client.send(port, '/chunked');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('one,two,three');
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.chunks.length).toBeGreaterThan(1);
  });

  it('passes the app status and headers through, and HEAD has no body', async () => {
    const reply = await client.send(port, '/status/418');
    expect(reply.status).toBe(418);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['weir-proxy-error']).toBeUndefined();
    const head = await client.send(port, '/x', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves many requests over kept-alive upstream connections', async () => {
    const before = app.seen.length;
    const sockets = new Set<unknown>();
    app.server.on('connection', (s) => sockets.add(s));
    for (let i = 0; i < 50; i++) expect((await client.send(port, `/k${i}`)).status).toBe(200);
    expect(app.seen.length - before).toBe(50);
    expect(sockets.size).toBeLessThanOrEqual(1);
  });
});
