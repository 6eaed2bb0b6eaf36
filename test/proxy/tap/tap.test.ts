import { createServer, get, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundProxy, type InboundProxy } from '../../../proxy/index.js';
import type { TapEvent, TapResponseEvent } from '../../../proxy/tap/event.js';
import { isLoopback, tapFilterOf, TapStream } from '../../../proxy/tap/stream.js';

/** a tap connection: its events as they arrive, and a way to wait for some */
interface Tapping {
  events: TapEvent[];
  until(what: string, accept: (events: TapEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

function tapAt(adminPort: number, query = ''): Promise<Tapping> {
  return new Promise((resolve, reject) => {
    const events: TapEvent[] = [];
    const waiters = new Set<() => void>();
    const req = get(`http://127.0.0.1:${adminPort}/tap${query}`, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`tap answered ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as TapEvent);
          buf = buf.slice(nl + 1);
        }
        for (const w of waiters) w();
      });
      resolve({
        events,
        until: (what, accept, timeoutMs = 10_000) =>
          new Promise<void>((ok, fail) => {
            const check = () => {
              if (!accept(events)) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok();
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', () => undefined);
  });
}

function send(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end();
  });
}

const responses = (events: TapEvent[]) => events.filter((e): e is TapResponseEvent => e.type === 'response');

describe('the tap endpoint of a proxy (GET /tap on its admin port)', () => {
  let app: Server;
  let proxy: InboundProxy;

  beforeAll(async () => {
    app = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/fail') ? 503 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    proxy = await startInboundProxy({
      appPort: (app.address() as AddressInfo).port,
      namespace: 'test',
      deployment: 'web',
      pod: 'web-1',
    });
  });

  afterAll(async () => {
    await proxy.close({ drainMs: 0 });
    await new Promise((r) => app.close(r));
  });

  it('is inactive while nobody taps: requests then make no events', async () => {
    expect(proxy.tap.active).toBe(false);
    expect(await send(proxy.port, 'GET', '/before')).toBe(200);
    const tap = await tapAt(proxy.adminPort);
    expect(proxy.tap.active).toBe(true);
    expect(await send(proxy.port, 'GET', '/after')).toBe(200);
    await tap.until('the response to /after', (ev) => responses(ev).length >= 1);
    expect(tap.events.map((e) => (e.type === 'dropped' ? e.type : `${e.type} ${e.path}`))).toEqual([
      'request /after',
      'response /after',
    ]);
    tap.close();
    await eventuallyInactive(proxy);
  });

  it('streams the requests and responses a filter asks for, with status, latency and the peers', async () => {
    const tap = await tapAt(proxy.adminPort, '?path=/api&method=post');
    await send(proxy.port, 'GET', '/api/list');
    await send(proxy.port, 'POST', '/other');
    await send(proxy.port, 'POST', '/api/items');
    await send(proxy.port, 'POST', '/api/fail'); // not under /fail: 200
    await tap.until('two responses', (ev) => responses(ev).length >= 2);
    expect(responses(tap.events).map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /api/items 200',
      'POST /api/fail 200',
    ]);
    const [rsp] = responses(tap.events);
    expect(rsp).toMatchObject({
      direction: 'inbound',
      namespace: 'test',
      deployment: 'web',
      pod: 'web-1',
      tls: false,
      authority: `127.0.0.1:${proxy.port}`,
      dst: { address: `127.0.0.1:${proxy.port}`, pod: 'web-1' },
    });
    expect(rsp!.src.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(rsp!.latencyMs).toBeGreaterThan(0);
    expect(tap.events.every((e) => e.type !== 'dropped' && e.method === 'POST' && e.path.startsWith('/api'))).toBe(
      true,
    );
    tap.close();
    await eventuallyInactive(proxy);
  });

  it('reports failures with their status', async () => {
    const tap = await tapAt(proxy.adminPort, '?path=/fail');
    expect(await send(proxy.port, 'GET', '/fail/now')).toBe(503);
    await tap.until('the 503', (ev) => responses(ev).length >= 1);
    expect(responses(tap.events)[0]).toMatchObject({ path: '/fail/now', status: 503 });
    tap.close();
    await eventuallyInactive(proxy);
  });

  it('refuses a bad filter naming the parameter, and non-loopback clients', async () => {
    const bad = await new Promise<{ status: number; body: string }>((resolve) =>
      get(`http://127.0.0.1:${proxy.adminPort}/tap?direction=sideways`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }),
    );
    expect(bad).toEqual({ status: 400, body: 'direction must be inbound or outbound, got "sideways"\n' });
    expect(tapFilterOf('/tap?path=api')).toBe('path must start with "/", got "api"');
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.7')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});

async function eventuallyInactive(proxy: InboundProxy): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (proxy.tap.active) {
    if (Date.now() > deadline) throw new Error('the tap stayed active after the tapper left');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a tapper that reads slowly', () => {
  it('gets at most the bound of events kept, then a count of those dropped once it catches up', async () => {
    const written: string[] = [];
    const held: Array<() => void> = [];
    // a sink that accepts the first write, then pushes back until released
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, done) {
        written.push(chunk.toString());
        held.push(done);
      },
    });
    const stream = new TapStream({}, sink, 3);
    for (let i = 0; i < 10; i++) stream.send(JSON.stringify({ type: 'request', id: i }));
    // one written (then back-pressure), three kept, six dropped
    expect(written).toHaveLength(1);
    while (held.length > 0) {
      held.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    const lines = written.map((l) => JSON.parse(l) as { type: string; id?: number; count?: number });
    expect(lines).toEqual([
      { type: 'request', id: 0 },
      { type: 'request', id: 1 },
      { type: 'request', id: 2 },
      { type: 'request', id: 3 },
      { type: 'dropped', count: 6 },
    ]);
  });
});
