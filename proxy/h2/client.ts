import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { connectionKey } from '../tls/connection-key.js';
import type { UpstreamTls } from '../tls/connect.js';

/** connection-level receive window of upstream sessions (Linkerd: 1 MiB); streams keep 64 KiB */
const CONNECTION_WINDOW = 1 << 20;
/** streams assumed allowed on a session until the endpoint's SETTINGS say otherwise */
const DEFAULT_MAX_STREAMS = 100;

/** One long-lived upstream HTTP/2 session and its open streams. */
export class H2Lease {
  active = 0;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of the endpoint */
  limit = DEFAULT_MAX_STREAMS;
  /** set on GOAWAY, close or error: takes no new streams */
  dead = false;
  constructor(readonly session: ClientHttp2Session) {}
}

export interface H2ClientOptions {
  /** close a session with no stream after this long without activity (default 60 s) */
  idleMs?: number;
  /** mTLS to endpoints that have an identity (tls/connect.ts); absent: everything h2c */
  tls?: UpstreamTls;
}

/** how an `H2Client` opens its sessions over mTLS: the endpoint and the identity it must prove */
interface H2TlsTarget {
  tls: UpstreamTls;
  host: string;
  port: number;
  identity: string;
}

/**
 * HTTP/2 (h2c, prior knowledge) to one endpoint: streams are multiplexed over few long-lived sessions.
 * A stream goes on the first live session with room under the endpoint's max concurrent streams; a
 * new session is opened only when every session is full. Sessions that receive GOAWAY, close or fail
 * are dropped (their open streams finish or fail on their own) and the next stream opens a new one.
 */
export class H2Client {
  private sessions: H2Lease[] = [];
  private closed = false;

  constructor(
    readonly authority: string,
    private readonly options: H2ClientOptions = {},
    private readonly tls?: H2TlsTarget,
  ) {}

  /** a session with room for one more stream; call `release` when that stream has closed */
  acquire(): H2Lease {
    const ss = this.sessions;
    for (let i = 0; i < ss.length; i++) {
      const l = ss[i] as H2Lease;
      if (!l.dead && l.active < l.limit) {
        l.active++;
        return l;
      }
    }
    const l = this.open();
    l.active++;
    return l;
  }

  release(lease: H2Lease): void {
    lease.active--;
  }

  get sessionCount(): number {
    return this.sessions.length;
  }

  private open(): H2Lease {
    const t = this.tls;
    // over mTLS (ALPN h2) the authority keeps `http:`: `:scheme` is what the client sent, as for h2c
    // h2c: our own socket, so that it gets TCP_NODELAY (an http2 session's socket refuses setNoDelay)
    const url = new URL(this.authority);
    const session = connect(this.authority, {
      settings: { enablePush: false },
      createConnection:
        t !== undefined
          ? () => t.tls.connect(t.host, t.port, t.identity, 'h2')
          : () => tcpConnect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), noDelay: true }),
    });
    const lease = new H2Lease(session);
    if (this.closed) lease.dead = true;
    else this.sessions.push(lease);
    const drop = () => {
      lease.dead = true;
      const i = this.sessions.indexOf(lease);
      if (i >= 0) this.sessions.splice(i, 1);
    };
    session.on('connect', () => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // the session went away meanwhile
      }
    });
    session.on('remoteSettings', (s) => {
      if (s.maxConcurrentStreams !== undefined) lease.limit = Math.max(1, s.maxConcurrentStreams);
    });
    session.on('goaway', drop);
    session.on('close', drop);
    // errors reach the streams on the session; the session itself is just dropped
    session.on('error', drop);
    session.setTimeout(this.options.idleMs ?? 60_000, () => {
      if (lease.active === 0) {
        drop();
        session.close();
      }
    });
    return lease;
  }

  /** close idle sessions gracefully, let busy ones finish (`destroy` cuts them) */
  close(): void {
    this.closed = true;
    for (const l of this.sessions) {
      l.dead = true;
      l.session.close();
    }
    this.sessions = [];
  }

  destroy(): void {
    this.closed = true;
    for (const l of this.sessions) {
      l.dead = true;
      l.session.destroy();
    }
    this.sessions = [];
  }
}

/** One `H2Client` per endpoint address (and identity, for mTLS), reused across snapshots, like `EndpointPools`. */
export class H2Clients {
  private readonly clients = new Map<string, H2Client>();
  private readonly all = new Set<H2Client>();
  constructor(private readonly options: H2ClientOptions = {}) {}

  /** the client of `address:port`; over mTLS when `identity` is given (the options must have `tls`) */
  get(address: string, port: number, identity?: string): H2Client {
    const key = connectionKey(address, port, identity);
    let c = this.clients.get(key);
    if (c === undefined) {
      const host = address.includes(':') ? `[${address}]` : address;
      const tls = this.options.tls;
      const target = tls !== undefined && identity !== undefined ? { tls, host: address, port, identity } : undefined;
      c = new H2Client(`http://${host}:${port}`, this.options, target);
      this.clients.set(key, c);
      this.all.add(c);
    }
    return c;
  }

  /** close (gracefully) the clients whose `connectionKey` is not in `keep` */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, c] of this.clients) {
      if (keep.has(key)) continue;
      this.clients.delete(key);
      this.all.delete(c);
      c.close();
    }
  }

  destroy(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.clients.clear();
  }
}
