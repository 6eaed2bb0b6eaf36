import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Service } from '../../../engine/resources/index.js';
import { startOutboundProxy, type OutboundProxy, type OutboundProxyOptions } from '../../../proxy/index.js';
import {
  Client,
  endpoints,
  freePort,
  httpRoute,
  HOST,
  ManualConfigSource,
  service,
  type RuleInput,
} from './harness.js';
import { H2TestClient } from './h2.js';

/**
 * One mesh, either protocol: the same apps, routes and requests over HTTP/1.1 or h2c, so that a table of
 * policy cases runs for both (the proxy has one stack; its tests say so).
 *
 * Each app answers by a script of its own: `GET /status/N` answers N; `/delay/MS` answers 200 after MS;
 * `/flaky/KEY?fail=N&code=C` fails the first N requests of KEY with status C, or with a reset for
 * `code=reset`; `/overloaded` answers 429 with `retry-after: 30` on the app named `busy`; anything
 * else 200. Every answer carries `x-served-by: <app>` and the request's headers as
 * `x-seen-<name>` for the names in `x-echo-headers`.
 */
export type Protocol = 'http1' | 'h2c';

export interface DualReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface DualApp {
  name: string;
  port: number;
  seen: Array<{ path: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  delayMs: number;
  reset: boolean;
}

function script(
  app: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  flaky: Map<string, number>,
): Answer {
  const url = new URL(path, 'http://x');
  const out: Answer = {
    status: 200,
    headers: { 'x-served-by': app },
    body: `${app} ${path}`,
    delayMs: 0,
    reset: false,
  };
  const echo = headers['x-echo-headers'];
  if (typeof echo === 'string') for (const n of echo.split(',')) out.headers[`x-seen-${n}`] = String(headers[n] ?? '');
  if (url.pathname.startsWith('/status/')) out.status = Number(url.pathname.slice(8));
  else if (url.pathname.startsWith('/delay/')) out.delayMs = Number(url.pathname.slice(7));
  else if (url.pathname === '/overloaded' && app === 'busy') {
    out.status = 429;
    out.headers['retry-after'] = '30';
  } else if (url.pathname.startsWith('/flaky/')) {
    const key = `${app}:${url.pathname}`;
    const n = (flaky.get(key) ?? 0) + 1;
    flaky.set(key, n);
    if (n <= Number(url.searchParams.get('fail') ?? '0')) {
      const code = url.searchParams.get('code') ?? '503';
      if (code === 'reset') out.reset = true;
      else out.status = Number(code);
    }
  }
  return out;
}

async function startDualApp(name: string, protocol: Protocol): Promise<DualApp> {
  const seen: DualApp['seen'] = [];
  const flaky = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  let server: Server | Http2Server;
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();
  if (protocol === 'http1') {
    const s = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers });
        const a = script(name, req.url ?? '/', req.headers, flaky);
        later(a.delayMs, () => {
          if (a.reset) req.socket.resetAndDestroy();
          else {
            res.writeHead(a.status, a.headers);
            res.end(a.body);
          }
        });
      });
    });
    s.on('connection', (c: Socket) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
    server = s;
  } else {
    const s = createH2Server();
    s.on('session', (x) => {
      sessions.add(x);
      x.on('close', () => sessions.delete(x));
    });
    s.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      stream.resume();
      stream.on('end', () => {
        const path = String(headers[':path']);
        seen.push({ path, headers });
        const a = script(name, path, headers, flaky);
        later(a.delayMs, () => {
          if (stream.destroyed) return;
          if (a.reset) stream.close(2 /* INTERNAL_ERROR */);
          else {
            stream.respond({ ':status': a.status, ...a.headers });
            stream.end(a.body);
          }
        });
      });
    });
    server = s;
  }
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        for (const x of sessions) x.destroy();
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Service `web` (the routes' parent) and one Service per app name; `dead` has an endpoint nobody listens
 * on; with apps `busy` and `calm`, Service `pool` has both as endpoints.
 */
export class DualMesh {
  readonly apps: Record<string, DualApp> = {};
  readonly svcs: Record<string, Service> = {};
  private source!: ManualConfigSource;
  proxy!: OutboundProxy;
  private deadPort = 0;
  private http1 = new Client();
  private h2: H2TestClient | undefined;

  private constructor(readonly protocol: Protocol) {}

  static async start(
    protocol: Protocol,
    names: string[],
    proxy: Partial<OutboundProxyOptions> = {},
  ): Promise<DualMesh> {
    const m = new DualMesh(protocol);
    for (const n of ['web', ...names]) {
      m.apps[n] = await startDualApp(n, protocol);
      m.svcs[n] = service(n, await freePort());
    }
    m.svcs.dead = service('dead', await freePort());
    if (names.includes('busy') && names.includes('calm')) m.svcs.pool = service('pool', await freePort());
    m.deadPort = await freePort();
    m.source = new ManualConfigSource(m.mesh([]));
    m.proxy = await startOutboundProxy({ configSource: m.source, routePolicy: { random: () => 0 }, ...proxy });
    return m;
  }

  private mesh(rules: RuleInput[]) {
    return {
      services: Object.values(this.svcs),
      httpRoutes: rules.length === 0 ? [] : [httpRoute('web-route', 'web', rules)],
      endpoints: Object.entries(this.svcs).map(([n, svc]) =>
        endpoints(
          svc,
          n === 'pool'
            ? ['busy', 'calm'].map((a) => ({ port: this.apps[a]!.port, deployment: a }))
            : [{ port: n === 'dead' ? this.deadPort : this.apps[n]!.port, deployment: n }],
        ),
      ),
    };
  }

  /** a backendRef to Service `name` */
  to(name: string, weight?: number) {
    const port = this.svcs[name]!.spec.ports[0]!.port;
    return { name, port, ...(weight !== undefined ? { weight } : {}) };
  }

  async routes(rules: RuleInput[]): Promise<void> {
    this.source.set(this.mesh(rules));
    await this.proxy.settled();
  }

  /** a request to Service `web` through the proxy, in the mesh's protocol */
  async send(
    path: string,
    o: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<DualReply> {
    const port = this.svcs.web!.spec.ports[0]!.port;
    if (this.protocol === 'http1') {
      const r = await this.http1.send(port, path, o);
      return { status: r.status, headers: r.headers, body: r.body };
    }
    this.h2 ??= new H2TestClient(port);
    const r = await this.h2.request(
      { ':method': o.method ?? 'GET', ':path': path, ...o.headers },
      o.body !== undefined ? { body: Buffer.from(o.body) } : {},
    );
    const headers: DualReply['headers'] = {};
    for (const [k, v] of Object.entries(r.headers)) if (!k.startsWith(':')) headers[k] = v as string | string[];
    return { status: r.status, headers, body: r.body.toString() };
  }

  async close(): Promise<void> {
    this.http1.close();
    this.h2?.close();
    await this.proxy.close({ drainMs: 100 });
    await Promise.all(Object.values(this.apps).map((a) => a.close()));
  }
}
