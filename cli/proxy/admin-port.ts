import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { TapHub } from '../../proxy/tap/hub.js';
import { serveTap } from '../../proxy/tap/stream.js';
import { mergeMetricsText } from './merge-metrics.js';

/** One proxy of the process (outbound, inbound) and the admin server it runs on loopback. */
export interface AdminSide {
  name: string;
  adminPort: number;
}

export interface ProcessAdminOptions {
  host: string;
  port: number;
  sides: () => readonly AdminSide[];
  /** false while the process drains */
  ready: () => boolean;
  /** metrics of the process itself (its identity, egress), in the text format, merged with the sides' */
  metrics?: () => string;
  /** what `/config` shows besides each side's own `/config` */
  config: () => Record<string, unknown>;
  /** called once the `/shutdown` response has been sent */
  shutdown: () => void;
  /** the process's tap (both sides feed it), streamed at `GET /tap` */
  tap?: TapHub;
}

export interface ProcessAdmin {
  readonly port: number;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const SIDE_TIMEOUT_MS = 5_000;

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function fromSide(side: AdminSide, path: string): Promise<{ status: number; body: string }> {
  const r = await request(`http://127.0.0.1:${side.adminPort}${path}`, {
    headersTimeout: SIDE_TIMEOUT_MS,
    bodyTimeout: SIDE_TIMEOUT_MS,
  });
  return { status: r.statusCode, body: await r.body.text() };
}

/**
 * The one admin port of a `weir proxy` process, with the endpoints of a proxy's admin server
 * (proxy/admin.ts): `GET /metrics` (every side's metrics as one exposition), `/ready` (every side
 * ready and the process not draining), `/live`, `/config` (JSON, each side's under its name),
 * `GET /mirror-diffs` (the outbound side's), `GET /tap` (both sides' requests and responses as they happen, newline-delimited JSON, loopback only) and
 * `POST /shutdown`. The outbound and inbound proxies each keep their own admin server on a loopback
 * port of their own; this one asks them.
 */
export async function startProcessAdmin(options: ProcessAdminOptions): Promise<ProcessAdmin> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/metrics': {
        const texts = await Promise.all(options.sides().map(async (s) => (await fromSide(s, '/metrics')).body));
        if (options.metrics !== undefined) texts.push(options.metrics());
        return reply(res, 200, 'text/plain; version=0.0.4; charset=utf-8', mergeMetricsText(texts));
      }
      case '/live':
        return reply(res, 200, TEXT, 'live\n');
      case '/ready': {
        const sides = await Promise.all(options.sides().map(async (s) => (await fromSide(s, '/ready')).status));
        const ready = options.ready() && sides.every((s) => s === 200);
        return ready ? reply(res, 200, TEXT, 'ready\n') : reply(res, 503, TEXT, 'not ready\n');
      }
      case '/mirror-diffs': {
        // the outbound side compares mirrored answers (proxy/mirror-diff/)
        const side = options.sides().find((s) => s.name === 'outbound');
        if (side === undefined) return reply(res, 404, TEXT, 'not found\n');
        const query = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?')) : '';
        const r = await fromSide(side, `/mirror-diffs${query}`);
        return reply(res, r.status, r.status === 200 ? 'application/json' : TEXT, r.body);
      }
      case '/config': {
        const out: Record<string, unknown> = { ...options.config() };
        for (const s of options.sides()) out[s.name] = JSON.parse((await fromSide(s, '/config')).body) as unknown;
        return reply(res, 200, 'application/json', `${JSON.stringify(out, null, 2)}\n`);
      }
      case '/tap':
        if (options.tap === undefined) return reply(res, 404, TEXT, 'not found\n');
        return serveTap(options.tap, req, res);
      case '/shutdown':
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return reply(res, 405, TEXT, 'use POST\n');
        }
        res.once('finish', () => options.shutdown());
        return reply(res, 200, TEXT, 'shutdown\n');
      default:
        return reply(res, 404, TEXT, 'not found\n');
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // a side that is closing (or gone) answers nothing: the process is not ready
      if (!res.headersSent) reply(res, 503, TEXT, `unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
