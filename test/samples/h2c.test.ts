import { Agent, request as h1request } from 'node:http';
import { connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../samples/app/server.js';
import { listenHttp1AndH2c, type DualListener } from '../../samples/app/h2c.js';

function h1(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = h1request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function h2(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (d: Buffer) => (body += d.toString()));
    stream.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    stream.on('error', reject);
    stream.end();
  });
}

describe('the sample app on one port for HTTP/1.1 and h2c', () => {
  it('answers both protocols, and on close finishes the requests in flight of each', async () => {
    const app = createApp({ version: '7.0.0', message: 'm', hostname: 'h', errorRate: 0, latencyMs: 0 });
    const listener = await listenHttp1AndH2c(app, 0, '127.0.0.1');
    const a = listener.net.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    expect(await h1(port, '/version')).toEqual({ status: 200, body: '{"version":"7.0.0"}\n' });
    expect(await h2(port, '/version')).toEqual({ status: 200, body: '{"version":"7.0.0"}\n' });
    const inFlight = [h1(port, '/delay/300'), h2(port, '/delay/300')];
    await new Promise((r) => setTimeout(r, 100));
    await listener.close();
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
  });
});

/** 'closed' once the listener's close() resolves, or what was still waiting after `ms` */
function closeWithin(listener: DualListener, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    listener.close().then(() => 'closed'),
    new Promise<string>((r) => (timer = setTimeout(() => r(`still waiting after ${ms} ms`), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe('the sample app stopping', () => {
  it('closes at once a connection that never sent a byte, instead of waiting for it', async () => {
    const app = createApp({ version: '7.0.0', message: 'm', hostname: 'h', errorRate: 0, latencyMs: 0 });
    const listener = await listenHttp1AndH2c(app, 0, '127.0.0.1');
    const a = listener.net.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const accepted = new Promise((r) => listener.net.once('connection', r));
    const idle = netConnect(port, '127.0.0.1');
    await new Promise((r, j) => idle.once('connect', r).once('error', j));
    const idleClosed = new Promise((r) => idle.once('close', r));
    await accepted;
    const closed = await closeWithin(listener, 5_000);
    idle.destroy();
    expect(closed).toBe('closed');
    await idleClosed;
  });

  it('closes kept-alive HTTP/1.1 connections without waiting for their keep-alive timeout', async () => {
    const app = createApp({ version: '7.0.0', message: 'm', hostname: 'h', errorRate: 0, latencyMs: 0 });
    app.keepAliveTimeout = 60_000;
    const listener = await listenHttp1AndH2c(app, 0, '127.0.0.1');
    const a = listener.net.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const get = (path: string): Promise<{ status: number; connection: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = h1request({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end();
      });
    // two kept-alive connections: one left idle, one busy with a slow request when close begins
    await Promise.all([get('/version'), get('/version')]);
    const arrived = new Promise((r) => app.once('request', r));
    const busy = get('/delay/300');
    await arrived;
    const closed = await closeWithin(listener, 10_000);
    agent.destroy();
    expect(closed).toBe('closed');
    expect(await busy).toEqual({ status: 200, connection: 'close' });
  });
});
