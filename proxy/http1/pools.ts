import { Pool } from 'undici';

export interface PoolOptions {
  /** time to wait for response headers; 0 = undici's default (300 s) */
  responseHeadersTimeoutMs?: number;
  /** connection limit per endpoint */
  connections?: number;
}

/**
 * One undici Pool (keep-alive HTTP/1.1 connections) per endpoint address, reused across snapshot
 * changes. `retain` closes the pools no snapshot refers to any more, after their in-flight requests.
 */
export class EndpointPools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly options: PoolOptions = {}) {}

  get(address: string, port: number): Pool {
    const key = `${address}:${port}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const host = address.includes(':') ? `[${address}]` : address;
      pool = new Pool(`http://${host}:${port}`, {
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

  /** close every pool whose `address:port` is not in `keep` (gracefully: queued requests still finish) */
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
