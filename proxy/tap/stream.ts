import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TapFilter } from './event.js';
import type { TapHub, TapSubscriber } from './hub.js';

/** events kept per tapper while its connection is backed up; more are dropped (and counted) */
export const TAP_BUFFER_EVENTS = 1000;

/** what a tap stream writes to: a response, or any writable stream */
export interface TapSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * One tapper's stream of newline-delimited JSON: written straight through while the connection keeps
 * up; once it pushes back, up to `capacity` events wait, later ones are dropped and counted, and when it
 * drains the waiting events go out followed by `{"type":"dropped","count":N}`. A slow tapper never
 * holds the proxy's memory beyond its bound nor slows the requests it watches.
 */
export class TapStream implements TapSubscriber {
  private readonly queue: string[] = [];
  private waiting = false;
  private dropped = 0;

  constructor(
    readonly filter: TapFilter,
    private readonly sink: TapSink,
    private readonly capacity = TAP_BUFFER_EVENTS,
  ) {}

  send(line: string): void {
    if (this.waiting) {
      if (this.queue.length < this.capacity) this.queue.push(line);
      else this.dropped++;
      return;
    }
    this.write(`${line}\n`);
  }

  private write(text: string): void {
    if (!this.sink.write(text)) {
      this.waiting = true;
      this.sink.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.waiting = false;
    while (this.queue.length > 0) {
      this.write(`${this.queue.shift() as string}\n`);
      if (this.waiting) return;
    }
    if (this.dropped > 0) {
      const count = this.dropped;
      this.dropped = 0;
      this.write(`${JSON.stringify({ type: 'dropped', count })}\n`);
    }
  };
}

/** `127.0.0.0/8` and `::1`, as IPv4 or IPv4-mapped IPv6 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

/** the tapper's filter from the query string, or what is wrong with it */
export function tapFilterOf(url: string): TapFilter | string {
  const q = new URL(url, 'http://localhost').searchParams;
  const f: TapFilter = {};
  const path = q.get('path');
  if (path !== null && path !== '') {
    if (!path.startsWith('/')) return `path must start with "/", got ${JSON.stringify(path)}`;
    f.path = path;
  }
  const method = q.get('method');
  if (method !== null && method !== '') {
    if (!/^[A-Za-z]+$/.test(method)) return `method must be an HTTP method, got ${JSON.stringify(method)}`;
    f.method = method.toUpperCase();
  }
  const authority = q.get('authority');
  if (authority !== null && authority !== '') f.authority = authority;
  const direction = q.get('direction');
  if (direction !== null && direction !== '') {
    if (direction !== 'inbound' && direction !== 'outbound')
      return `direction must be inbound or outbound, got ${JSON.stringify(direction)}`;
    f.direction = direction;
  }
  return f;
}

/**
 * `GET /tap?path=P&method=M&authority=A&direction=inbound|outbound` on an admin port: the proxy's requests
 * and responses as they happen, one JSON event a line (tap/event.ts), until the tapper hangs up. Loopback
 * clients only (403 otherwise); a bad filter is 400 naming the parameter.
 */
export function serveTap(hub: TapHub, req: IncomingMessage, res: ServerResponse, capacity?: number): void {
  const text = (status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (!isLoopback(req.socket.remoteAddress)) return text(403, 'tap is served to loopback clients only\n');
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return text(405, 'use GET\n');
  }
  const filter = tapFilterOf(req.url ?? '/tap');
  if (typeof filter === 'string') return text(400, `${filter}\n`);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const unsubscribe = hub.subscribe(new TapStream(filter, res, capacity));
  res.once('close', unsubscribe);
}
