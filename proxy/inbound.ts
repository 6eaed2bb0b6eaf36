import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startAdminServer, type AdminServer } from './admin.js';
import { drainServer, Inflight, listen } from './drain.js';
import { forward, headInfo, requestHeaders } from './forward.js';
import { GoldenMetrics, type Series } from './metrics.js';
import { EndpointPools } from './pools.js';

export interface InboundProxyOptions {
  /** the local application (default 127.0.0.1) */
  appHost?: string;
  appPort: number;
  /** the workload's own labels on every metric */
  namespace?: string;
  deployment?: string;
  pod?: string;
  /** where the proxy listens (default 127.0.0.1, port 0 = a free port) */
  listenHost?: string;
  listenPort?: number;
  /** admin server (default 127.0.0.1, port 0 = a free port) */
  adminHost?: string;
  adminPort?: number;
  /** how long to wait for the app's response headers before answering 504 (default: undici's 300 s) */
  responseTimeoutMs?: number;
  /** how long close() and /shutdown wait for in-flight requests (default 10 s) */
  drainMs?: number;
  /** called after /shutdown has closed the proxy */
  onShutdown?: () => void;
}

export interface InboundProxy {
  readonly port: number;
  readonly adminPort: number;
  readonly metrics: GoldenMetrics;
  /** stop accepting, drain in-flight requests (up to `drainMs`), close every connection and the admin server */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** distinct `authority` label values kept per inbound proxy; later ones share one series */
const MAX_AUTHORITIES = 256;

/**
 * The inbound side of a sidecar: accepts meshed (and plain) HTTP/1.1 and forwards it to the local app
 * over keep-alive connections, recording `direction="inbound"` golden metrics, the ones Flagger reads.
 */
export async function startInboundProxy(options: InboundProxyOptions): Promise<InboundProxy> {
  const metrics = new GoldenMetrics();
  const pools = new EndpointPools(
    options.responseTimeoutMs !== undefined ? { responseHeadersTimeoutMs: options.responseTimeoutMs } : {},
  );
  const app = pools.get(options.appHost ?? '127.0.0.1', options.appPort);
  const inflight = new Inflight();
  const byAuthority = new Map<string, Series>();
  const seriesFor = (authority: string | undefined): Series => {
    const key = authority ?? '';
    let s = byAuthority.get(key);
    if (s === undefined) {
      const label = byAuthority.size < MAX_AUTHORITIES ? key : 'other';
      s = metrics.series([
        ['direction', 'inbound'],
        ['namespace', options.namespace],
        ['deployment', options.deployment],
        ['pod', options.pod],
        ['authority', label],
      ]);
      if (byAuthority.size < MAX_AUTHORITIES) byAuthority.set(key, s);
    }
    return s;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    inflight.enter();
    const headers = requestHeaders(req);
    const info = headInfo();
    const series = seriesFor(info.host);
    series.request();
    forward(app, req, res, headers, info.hasBody, series, start, inflight);
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, options.listenPort ?? 0, options.listenHost ?? '127.0.0.1');

  let closing: Promise<void> | undefined;
  let admin: AdminServer | undefined;
  const close = (drainMs = options.drainMs ?? 10_000): Promise<void> => {
    closing ??= (async () => {
      await drainServer(server, inflight, drainMs);
      await pools.destroy();
      await admin?.close();
    })();
    return closing;
  };
  try {
    admin = await startAdminServer(options.adminHost ?? '127.0.0.1', options.adminPort ?? 0, {
      metrics: () => metrics.render(),
      ready: () => closing === undefined,
      config: () => ({
        direction: 'inbound',
        listen: { host: options.listenHost ?? '127.0.0.1', port },
        app: { host: options.appHost ?? '127.0.0.1', port: options.appPort },
        inflight: inflight.count,
      }),
      shutdown: () => void close().then(() => options.onShutdown?.()),
    });
  } catch (err) {
    await close(0);
    throw err;
  }
  return {
    port,
    adminPort: admin.port,
    metrics,
    close: (o) => close(o?.drainMs),
  };
}
