import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PROXY_ERROR_HEADER, UNSUPPORTED_HTTP_VERSION } from '../errors.js';
import { kPeer } from '../tls/peer.js';
import { detectProtocol, type Protocol } from './detect.js';
import { frontLimits, type FrontLimits } from './limits.js';

/** connection-level receive window of downstream sessions (Linkerd: 1 MiB) */
const CONNECTION_WINDOW = 1 << 20;

export interface FrontHandlers {
  /** an HTTP/1.1 request */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** an HTTP/1.1 request asking to switch protocols (WebSocket) */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** an HTTP/2 stream (h2c with prior knowledge); `flags` has END_STREAM when there is no body */
  stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): void;
  /** a connection that is not HTTP: `prefix` holds the bytes detection read */
  opaque(socket: Socket, prefix: Buffer): void;
  /**
   * a connection that starts with a TLS ClientHello (inbound mTLS, tls/accept.ts): `prefix` holds the
   * bytes detection read; a decrypted stream comes back through `serveDecrypted`. Absent: opaque.
   */
  tls?: ((socket: Socket, prefix: Buffer) => void) | undefined;
  /**
   * whether the port is opaque by policy (a Server's `proxyProtocol: opaque`): HTTP is then not looked
   * for, every connection (after mTLS, when terminated) goes to `opaque`. Asked per connection.
   */
  opaqueOnly?: () => boolean;
  /** how long to wait for the first bytes before treating a connection as opaque */
  detectTimeoutMs?: number | undefined;
  /** header sizes, timeouts and HTTP/2 stream limits (limits.ts); unset ones take the defaults */
  limits?: Partial<FrontLimits> | undefined;
}

/**
 * One listening port that speaks everything: a raw TCP server whose connections go through protocol
 * detection (detect.ts) and then to an HTTP/1.1 server, an h2c server, or the opaque handler. The
 * HTTP servers never listen themselves; they are handed sockets with the detected bytes put back.
 *
 * It has the shape `drainServer` (drain.ts) closes: `close` stops accepting, `closeIdleConnections`
 * closes idle HTTP/1.1 connections and sends GOAWAY on every HTTP/2 session (their open streams
 * finish), `closeAllConnections` cuts everything, opaque and upgraded connections included.
 */
export class FrontServer {
  readonly tcp: NetServer;
  readonly http1: Server;
  readonly h2: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  /** connections being detected, opaque and upgraded ones (client and upstream sides) */
  private readonly raw = new Set<Socket>();

  readonly limits: FrontLimits;

  constructor(private readonly handlers: FrontHandlers) {
    const limits = (this.limits = frontLimits(handlers.limits));
    this.http1 = createHttpServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        // how often the headers and request timeouts are checked (node's default, 30 s, is too coarse)
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      },
      (req, res) => {
        // HTTP/0.9 and HTTP/2.0-in-HTTP/1-syntax parse, but are no HTTP/1.x: refused (errors.ts)
        if (req.httpVersionMajor !== 1) refuseVersion(res);
        else handlers.request(req, res);
      },
    );
    this.http1.keepAliveTimeout = limits.idleTimeoutMs;
    this.http1.on('upgrade', handlers.upgrade);
    // The HTTP/1.1 server never listens, but it must track its connections (closeIdleConnections,
    // closeAllConnections, headers/request timeouts): node starts that tracking on 'listening'.
    this.http1.emit('listening');
    this.h2 = createH2Server({
      maxHeaderListPairs: 256,
      settings: {
        enablePush: false,
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: limits.maxH2HeaderListBytes,
      },
    });
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      // idle: no frame either way for the bound; GOAWAY lets open streams finish, refuses new ones
      session.setTimeout(limits.idleTimeoutMs, () => {
        if (!session.closed && !session.destroyed) session.close();
      });
      // what an mTLS connection proved (tls/peer.ts), read once per stream from the session
      const peer = (session.socket as unknown as { [kPeer]?: unknown })[kPeer];
      if (peer !== undefined) (session as unknown as { [kPeer]?: unknown })[kPeer] = peer;
      session.on('close', () => this.sessions.delete(session));
      session.on('error', noop);
      session.on('connect', () => {
        try {
          session.setLocalWindowSize(CONNECTION_WINDOW);
        } catch {
          // gone meanwhile
        }
      });
    });
    this.h2.on('stream', handlers.stream);
    this.tcp = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    this.track(socket);
    detectProtocol(socket, { timeoutMs: this.handlers.detectTimeoutMs }, (protocol, prefix) => {
      if (protocol === 'tls' && this.handlers.tls !== undefined) {
        // the TCP socket stays tracked: cutting it cuts the TLS connection it carries
        this.handlers.tls(socket, prefix);
        return;
      }
      if (protocol === 'opaque' || protocol === 'tls' || this.handlers.opaqueOnly?.() === true) {
        this.handlers.opaque(socket, prefix);
        return;
      }
      this.untrack(socket);
      this.serveHttp(socket, protocol, prefix);
    });
  }

  /**
   * A decrypted stream (mTLS terminated by `handlers.tls`): HTTP/2 or HTTP/1.1 as ALPN agreed, else
   * detected as a plaintext connection is (HTTP/1.1 or opaque TCP).
   */
  serveDecrypted(socket: Socket, alpn: string | false): void {
    if (this.handlers.opaqueOnly?.() === true) this.handlers.opaque(socket, EMPTY);
    else if (alpn === 'h2') this.serveHttp(socket, 'h2', EMPTY);
    else if (alpn === 'http/1.1') this.serveHttp(socket, 'http1', EMPTY);
    else
      detectProtocol(socket, { timeoutMs: this.handlers.detectTimeoutMs }, (protocol, prefix) => {
        if (protocol === 'h2' || protocol === 'http1') this.serveHttp(socket, protocol, prefix);
        else this.handlers.opaque(socket, prefix);
      });
  }

  private serveHttp(socket: Socket, protocol: Exclude<Protocol, 'tls' | 'opaque'>, prefix: Buffer): void {
    if (prefix.length > 0) socket.unshift(prefix);
    if (protocol === 'h2') {
      this.h2.emit('connection', socket);
    } else {
      this.http1.emit('connection', socket);
      socket.resume();
    }
  }

  private readonly onRawClose = function (this: Socket & { weirFront?: FrontServer }) {
    this.weirFront?.raw.delete(this);
  };

  /** keep `socket` (an opaque or upgraded connection, either side) to be cut by `closeAllConnections` */
  track(socket: Socket | Duplex): void {
    const s = socket as Socket & { weirFront?: FrontServer };
    if (s.destroyed) return;
    s.weirFront = this;
    this.raw.add(s);
    s.once('close', this.onRawClose);
  }

  private untrack(socket: Socket): void {
    this.raw.delete(socket);
    socket.off('close', this.onRawClose);
  }

  get listening(): boolean {
    return this.tcp.listening;
  }

  /** stop accepting; `callback` runs once the listening socket is closed */
  close(callback?: (err?: Error) => void): this {
    // stops the HTTP/1.1 server's connection checks too (it never listened: nothing else happens)
    this.http1.close();
    if (this.tcp.listening) this.tcp.close(callback);
    else callback?.();
    return this;
  }

  closeIdleConnections(): void {
    this.http1.closeIdleConnections();
    for (const s of this.sessions) if (!s.closed) s.close();
  }

  closeAllConnections(): void {
    this.http1.closeAllConnections();
    for (const s of this.sessions) s.destroy();
    for (const s of this.raw) s.destroy();
    this.raw.clear();
  }
}

function noop(): void {}

function refuseVersion(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(UNSUPPORTED_HTTP_VERSION.status, {
    [PROXY_ERROR_HEADER]: UNSUPPORTED_HTTP_VERSION.reason,
    'content-length': '0',
    connection: 'close',
  });
  res.end();
}

const EMPTY = Buffer.alloc(0);
