// A small podinfo-like HTTP service with fault knobs, for demos and tests. Node built-ins only.
//
//   GET /             {"hostname", "version", "message"[, "timestamp"]}  (every response has an x-version header)
//   GET /healthz      200 (never faulted)
//   GET /readyz       200, or 503 after POST /readyz/disable (POST /readyz/enable to undo)
//   GET /version      {"version"}
//   ANY /status/{code}  answers with that status
//   ANY /delay/{ms}     waits, then 200
//   POST /panic       exits with code 255 (a crash, for restart demos)
// HTTP/1.1 and h2c (prior knowledge) on the same port.
//
// Environment: PORT (default 9898), HOST (default 127.0.0.1), VERSION (default 1.0.0), MESSAGE,
// ERROR_RATE (0..1: that fraction of non-health requests is answered 500),
// LATENCY_MS (added to every non-health request), DOWNSTREAM_URL (GET / calls it, through HTTP_PROXY when set, and
// answers with `downstream: {status, version, hostname}` of who answered; a failed call makes GET / answer 502),
// TIMESTAMP=true (GET / also answers "timestamp": the time in epoch milliseconds with microseconds, different on
// every answer: noise for mirror diffing; MESSAGE is the knob that changes one field).
// SIGTERM/SIGINT: stop accepting, finish in-flight, exit 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname as osHostname } from 'node:os';
import { callDownstream } from './downstream.js';
import { onStopSignal, runIfEntryPoint } from './entry-point.js';
import { listenHttp1AndH2c } from './h2c.js';

export interface AppConfig {
  version: string;
  message: string;
  hostname: string;
  errorRate: number;
  latencyMs: number;
  /** GET / calls this URL (through `proxy`) and reports who answered (downstream.ts) */
  downstreamUrl?: string;
  /** the forward proxy for the downstream call (`HTTP_PROXY`) */
  proxy?: string;
  /** GET / adds a `timestamp` field that differs on every answer */
  timestamp?: boolean;
  /** for tests: replaces Math.random in the error-rate decision */
  random?: () => number;
  /** what POST /panic does; default: exit with code 255 */
  onPanic?: () => void;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const num = (v: string | undefined, def: number): number => {
    const n = v === undefined || v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : def;
  };
  return {
    version: env.VERSION || '1.0.0',
    message: env.MESSAGE ?? `greetings from podinfo v${env.VERSION || '1.0.0'}`,
    hostname: env.HOSTNAME || osHostname(),
    errorRate: Math.min(1, Math.max(0, num(env.ERROR_RATE, 0))),
    latencyMs: Math.max(0, num(env.LATENCY_MS, 0)),
    ...(env.DOWNSTREAM_URL ? { downstreamUrl: env.DOWNSTREAM_URL } : {}),
    ...((env.HTTP_PROXY ?? env.http_proxy) ? { proxy: env.HTTP_PROXY ?? env.http_proxy } : {}),
    timestamp: env.TIMESTAMP === 'true' || env.TIMESTAMP === '1',
  };
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz', '/readyz/enable', '/readyz/disable']);

/** the app as an `http.Server`, not yet listening */
export function createApp(config: AppConfig = configFromEnv()): Server {
  let readyEnabled = true;
  const random = config.random ?? Math.random;

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body) + '\n';
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-version': config.version,
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    if (path === '/healthz') return send(res, 200, { status: 'OK' });
    if (path === '/readyz') {
      return readyEnabled ? send(res, 200, { status: 'OK' }) : send(res, 503, { status: 'not ready' });
    }
    if (path === '/readyz/enable' || path === '/readyz/disable') {
      readyEnabled = path === '/readyz/enable';
      return send(res, 202, { ready: readyEnabled });
    }

    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (!HEALTH_PATHS.has(path) && config.errorRate > 0 && random() < config.errorRate) {
      return send(res, 500, { error: 'injected fault (ERROR_RATE)' });
    }

    if (path === '/') {
      const own = { hostname: config.hostname, version: config.version, message: config.message };
      const answer = config.timestamp
        ? { ...own, timestamp: Number((performance.timeOrigin + performance.now()).toFixed(3)) }
        : own;
      if (config.downstreamUrl === undefined) return send(res, 200, answer);
      const downstream = await callDownstream(config.downstreamUrl, config.proxy);
      const ok = downstream.status >= 200 && downstream.status < 300;
      return send(res, ok ? 200 : 502, { ...answer, downstream });
    }
    if (path === '/version') return send(res, 200, { version: config.version });
    let m = /^\/status\/(\d{3})$/.exec(path);
    if (m) {
      const code = Number(m[1]);
      if (code < 100 || code > 599) return send(res, 400, { error: 'status must be 100..599' });
      if (code < 200 || code === 204 || code === 304) {
        res.writeHead(code, { 'x-version': config.version });
        return void res.end();
      }
      return send(res, code, { status: code });
    }
    m = /^\/delay\/(\d+)$/.exec(path);
    if (m) {
      const ms = Math.min(Number(m[1]), 600_000);
      await sleep(ms);
      return send(res, 200, { delay: ms });
    }
    if (path === '/panic' && method === 'POST') {
      send(res, 200, { panic: true });
      res.once('finish', () => (config.onPanic ?? (() => process.exit(255)))());
      return;
    }
    return send(res, 404, { error: 'not found' });
  };

  return createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
}

/** stop accepting connections, let in-flight requests finish, then resolve */
export function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // keep-alive connections that carry a request now close once its response is sent
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close'));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const config = configFromEnv(env);
  const server = createApp(config);
  const port = Number(env.PORT || 9898);
  const host = env.HOST || '127.0.0.1';
  // HTTP/1.1 and h2c on the one port
  const listener = await listenHttp1AndH2c(server, port, host);
  console.log(JSON.stringify({ msg: 'listening', host, port, version: config.version }));
  onStopSignal(() => void listener.close().then(() => process.exit(0)));
  return server;
}

runIfEntryPoint(import.meta.url, main);
