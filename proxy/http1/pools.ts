import { Pool } from 'undici';
import type { UpstreamTls } from '../tls/connect.js';
import { connectionKey } from '../tls/connection-key.js';

export interface PoolOptions {
  /** time to wait for response headers; 0 = undici's default (300 s) */
  responseHeadersTimeoutMs?: number;
  /** connection limit per endpoint */
  connections?: number;
  /** mTLS to endpoints that have an identity (tls/connect.ts); absent: everything plaintext */
  tls?: UpstreamTls;
}

/**
 * One undici Pool (keep-alive HTTP/1.1 connections) per endpoint address (and identity, for mTLS),
 * reused across snapshot changes. `retain` closes the pools no snapshot refers to any more, after their
 * in-flight requests. An mTLS pool opens its connections through `UpstreamTls` (undici's `connect`).
 */
export class EndpointPools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly options: PoolOptions = {}) {}

  /** the pool of `address:port`; over mTLS when `identity` is given (the options must have `tls`) */
  get(address: string, port: number, identity?: string): Pool {
    const key = connectionKey(address, port, identity);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const host = address.includes(':') ? `[${address}]` : address;
      const tls = identity !== undefined ? this.options.tls : undefined;
      pool = new Pool(`http://${host}:${port}`, {
        ...(tls !== undefined && identity !== undefined ? { connect: tls.undiciConnector(identity) } : {}),
        connections: this.options.connections ?? 256,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 600_000,
        bodyTimeout: 0,
        ...(this.options.responseHeadersTimeoutMs ? { headersTimeout: this.options.responseHeadersTimeoutMs } : {}),
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** close every pool whose `connectionKey` is not in `keep` (gracefully: queued requests still finish) */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      pool.close().catch(() => undefined);
    }
  }

  /** destroy every pool now, idle keep-alive sockets included */
  async destroy(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}
