import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from './drain.js';
import type { TapHub } from './tap/hub.js';
import { serveTap } from './tap/stream.js';

export interface AdminHandlers {
  /** Prometheus text */
  metrics(): string;
  /** JSON-able view of the current configuration */
  config(): unknown;
  ready(): boolean;
  /** begin a graceful shutdown (called after the `/shutdown` response has been sent) */
  shutdown(): void;
  /** the proxy's tap, streamed at `GET /tap` (tap/stream.ts) */
  tap?: TapHub;
  /** `GET /mirror-diffs?limit=N`: the last differing mirrored requests (mirror-diff/recorder.ts) */
  mirrorDiffs?: (limit: number | undefined) => unknown;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * The admin server of one proxy instance (as Linkerd's, on its own port):
 * `GET /metrics` (Prometheus text 0.0.4), `GET /ready`, `GET /live`, `GET /config` (JSON of the
 * routing tables), `GET /tap` (live requests and responses, newline-delimited JSON, loopback only),
 * `GET /mirror-diffs` (the last mirrored requests whose canary answer differed from the primary's) and
 * `POST /shutdown` (stop accepting, drain in-flight requests, close).
 */
export async function startAdminServer(host: string, port: number, handlers: AdminHandlers): Promise<AdminServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/metrics':
        return reply(res, 200, 'text/plain; version=0.0.4; charset=utf-8', handlers.metrics());
      case '/live':
        return reply(res, 200, TEXT, 'live\n');
      case '/ready':
        return handlers.ready() ? reply(res, 200, TEXT, 'ready\n') : reply(res, 503, TEXT, 'not ready\n');
      case '/config':
        return reply(res, 200, 'application/json', `${JSON.stringify(handlers.config(), null, 2)}\n`);
      case '/tap':
        if (handlers.tap === undefined) return reply(res, 404, TEXT, 'not found\n');
        return serveTap(handlers.tap, req, res);
      case '/mirror-diffs': {
        if (handlers.mirrorDiffs === undefined) return reply(res, 404, TEXT, 'not found\n');
        const q = new URL(req.url ?? '/', 'http://admin').searchParams.get('limit');
        const limit = q === null ? undefined : Number(q);
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
          return reply(res, 400, TEXT, 'limit: expected a non-negative integer\n');
        return reply(res, 200, 'application/json', `${JSON.stringify(handlers.mirrorDiffs(limit), null, 2)}\n`);
      }
      case '/shutdown':
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return reply(res, 405, TEXT, 'use POST\n');
        }
        res.once('finish', () => handlers.shutdown());
        return reply(res, 200, TEXT, 'shutdown\n');
      default:
        return reply(res, 404, TEXT, 'not found\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  const bound = await listen(server, port, host);
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
