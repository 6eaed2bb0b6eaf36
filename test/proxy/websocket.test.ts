import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startInboundProxy, startOutboundProxy } from '../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  HOST,
  httpRoute,
  ManualConfigSource,
  service,
} from './support/harness.js';
import { parsePrometheusText, total } from './support/prom.js';
import { RawClient } from './support/raw.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const accept = (key: string) =>
  createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');

interface WsApp {
  port: number;
  /** upgrade requests seen: url and Host */
  seen: Array<{ url: string; host: string | undefined }>;
  close(): Promise<void>;
}

/** An app that accepts WebSocket upgrades on /ws* and then echoes every byte prefixed by its name. */
async function startWsApp(name: string): Promise<WsApp> {
  const seen: WsApp['seen'] = [];
  const sockets = new Set<Duplex>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'x-served-by': name });
    res.end(`plain ${name}`);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    seen.push({ url: req.url ?? '', host: req.headers.host });
    if (!(req.url ?? '').startsWith('/ws') || req.headers.upgrade !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept(String(req.headers['sec-websocket-key']))}\r\nx-served-by: ${name}\r\n\r\n`,
    );
    if (head.length > 0) socket.write(Buffer.concat([Buffer.from(`${name}:`), head]));
    socket.on('data', (c: Buffer) => socket.write(Buffer.concat([Buffer.from(`${name}:`), c])));
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function handshake(path: string, host = 'chat.example:8080'): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

describe('WebSocket (HTTP/1.1 Upgrade) through the mesh', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  async function setup() {
    const apps: Record<string, WsApp> = {};
    const ports: Record<string, number> = {};
    const eps = [];
    const svcs = [];
    for (const name of ['chat', 'chat-v2']) {
      apps[name] = await startWsApp(name);
      const inbound = await startInboundProxy({ appPort: apps[name].port, namespace: 'default', deployment: name });
      cleanup.push(
        () => apps[name]!.close(),
        () => inbound.close({ drainMs: 100 }),
      );
      const svc = service(name, await freePort());
      ports[name] = svc.spec.ports[0]!.port;
      svcs.push(svc);
      eps.push(endpoints(svc, [{ port: inbound.port, deployment: name }]));
    }
    const outbound = await startOutboundProxy({
      configSource: new ManualConfigSource({
        services: svcs,
        httpRoutes: [
          httpRoute('chat', 'chat', [
            {
              matches: [{ path: { type: 'PathPrefix', value: '/ws/v2' } }],
              backendRefs: [backend('chat-v2', ports['chat-v2']!)],
            },
            { backendRefs: [backend('chat', ports.chat!)] },
          ]),
        ],
        endpoints: eps,
      }),
    });
    cleanup.push(() => outbound.close({ drainMs: 100 }));
    const client = (port = ports.chat!) => {
      const c = new RawClient(port);
      cleanup.push(() => c.close());
      return c;
    };
    return { apps, outbound, client };
  }

  it('handshake and echo pass through outbound and inbound proxies unchanged', async () => {
    const { apps, client } = await setup();
    const c = client();
    c.write(handshake('/ws/room?id=7'));
    const head = await c.until((t) => t.includes('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(head).toContain(`Sec-WebSocket-Accept: ${accept('dGhlIHNhbXBsZSBub25jZQ==')}`);
    expect(head).toContain('x-served-by: chat\r\n');
    expect(apps.chat!.seen).toEqual([{ url: '/ws/room?id=7', host: 'chat.example:8080' }]);
    const after = c.received.length;
    c.write(Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]));
    await c.until((t) => t.length >= after + 'chat:'.length + 7);
    expect(c.received.subarray(after)).toEqual(
      Buffer.concat([Buffer.from('chat:'), Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])]),
    );
    // many messages both ways
    const before = c.received.length;
    for (let i = 0; i < 50; i++) c.write(`m${i};`);
    await c.until((t) => (t.slice(before).match(/m\d+;/g) ?? []).length === 50);
    c.socket.end();
    await c.end();
  });

  it('the upgrade request is routed by its HTTPRoute like any request', async () => {
    const { apps, client } = await setup();
    const c = client();
    c.write(handshake('/ws/v2/feed'));
    const head = await c.until((t) => t.includes('\r\n\r\n'));
    expect(head).toContain('x-served-by: chat-v2');
    expect(apps['chat-v2']!.seen.map((s) => s.url)).toEqual(['/ws/v2/feed']);
    expect(apps.chat!.seen).toHaveLength(0);
  });

  it("an app's refusal reaches the client, and metrics count upgrades by status", async () => {
    const { client, outbound } = await setup();
    const c = client();
    c.write(handshake('/not-ws'));
    expect(await c.until((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 400 /);
    const ok = client();
    ok.write(handshake('/ws'));
    await ok.until((t) => t.includes('\r\n\r\n'));
    const http = new Client();
    cleanup.push(() => http.close());
    const metrics = parsePrometheusText((await http.get(outbound.adminPort, '/metrics')).body);
    expect(total(metrics, 'response_total', { direction: 'outbound', dst_service: 'chat', status_code: '101' })).toBe(
      1,
    );
    expect(total(metrics, 'response_total', { direction: 'outbound', dst_service: 'chat', status_code: '400' })).toBe(
      1,
    );
  });

  it('plain HTTP/1.1 requests still work on the same port', async () => {
    const { client } = await setup();
    const c = client();
    c.write('GET /plain HTTP/1.1\r\nHost: chat\r\n\r\n');
    expect(await c.until((t) => t.includes('plain chat'))).toMatch(/^HTTP\/1\.1 200 /);
  });
});
