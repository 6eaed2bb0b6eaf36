import { spawn } from 'node:child_process';
import {
  connect,
  constants,
  createServer,
  type ClientHttp2Session,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { HOST } from './harness.js';

export interface H2App {
  name: string;
  port: number;
  server: Http2Server;
  /** streams seen (request headers) */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export type H2Handler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean | void;

/**
 * An h2c app on port 0. Default answer: JSON `{app, authority, path, method, headers, bodyLength,
 * trailers}` (the request's trailers), response header `x-served-by`, response trailers
 * `x-app-trailer: <name>`. `/big?bytes=N` streams N bytes back; a custom handler returning true takes over.
 */
export async function startH2App(name: string, custom?: H2Handler): Promise<H2App> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer();
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.on('error', () => undefined);
    if (custom?.(stream, headers) === true) return;
    const path = String(headers[':path']);
    if (path.startsWith('/big')) {
      const bytes = Number(new URL(path, 'http://x').searchParams.get('bytes') ?? '0');
      let received = 0;
      stream.on('data', (c: Buffer) => (received += c.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-received': String(received) });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let left = bytes;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!stream.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              stream.once('drain', pump);
              return;
            }
          }
          stream.end();
        };
        pump();
      });
      return;
    }
    let bodyLength = 0;
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('data', (c: Buffer) => (bodyLength += c.length));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('end', () => {
      if (stream.destroyed) return;
      stream.respond(
        { ':status': 200, 'content-type': 'application/json', 'x-served-by': name },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-app-trailer': name }));
      stream.end(
        JSON.stringify({
          app: name,
          authority: headers[':authority'],
          path: headers[':path'],
          method: headers[':method'],
          headers,
          bodyLength,
          trailers,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface H2Reply {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: Buffer;
  status: number;
}

/** One h2c client connection (prior knowledge) to the proxy; every request bounded by a timeout. */
export class H2TestClient {
  readonly session: ClientHttp2Session;
  constructor(port: number) {
    this.session = connect(`http://${HOST}:${port}`);
    this.session.on('error', () => undefined);
  }

  request(
    headers: OutgoingHttpHeaders,
    o: { body?: Buffer | Buffer[]; trailers?: OutgoingHttpHeaders; timeoutMs?: number } = {},
  ): Promise<H2Reply> {
    return new Promise((resolve, reject) => {
      const hasBody = o.body !== undefined || o.trailers !== undefined;
      const req = this.session.request(headers, { endStream: !hasBody, waitForTrailers: o.trailers !== undefined });
      const timer = setTimeout(() => req.close(constants.NGHTTP2_CANCEL), o.timeoutMs ?? 5_000);
      let response: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (response = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('close', () => {
        clearTimeout(timer);
        if (req.rstCode !== constants.NGHTTP2_NO_ERROR && response[':status'] === undefined)
          reject(new Error(`stream reset (${req.rstCode})`));
        else resolve({ headers: response, trailers, body: Buffer.concat(chunks), status: Number(response[':status']) });
      });
      if (o.trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(o.trailers as OutgoingHttpHeaders));
      if (hasBody) {
        const parts = o.body === undefined ? [] : Array.isArray(o.body) ? [...o.body] : [o.body];
        const next = () => {
          const part = parts.shift();
          if (part === undefined) req.end();
          else if (req.write(part)) setImmediate(next);
          else req.once('drain', next);
        };
        next();
      }
    });
  }

  close(): void {
    this.session.destroy();
  }
}

/** Run h2load; resolves with its output (bounded by `timeoutMs`). */
export function h2load(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** `requests: N total, N started, N done, N succeeded, ...` from h2load's output */
export function h2loadRequests(out: string): { total: number; done: number; succeeded: number; failed: number } {
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(out);
  if (m === null) throw new Error(`unexpected h2load output:\n${out}`);
  return { total: Number(m[1]), done: Number(m[3]), succeeded: Number(m[4]), failed: Number(m[5]) };
}
