import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Service } from '../../../engine/resources/index.js';
import { startOutboundProxy, type OutboundProxy, type OutboundProxyOptions } from '../../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  httpRoute,
  ManualConfigSource,
  service,
  startEcho,
  type AppHandler,
  type Echo,
  type Reply,
  type RuleInput,
} from './harness.js';

/**
 * The mesh of the HTTPRoute filter / mirror / retry tests, in the spirit of the Gateway API mesh
 * conformance suite: Service `echo` (the parent routes attach to) plus one Service per other app,
 * each app a real HTTP server on port 0 answering JSON (see `startEcho`). Apps also honour the
 * conformance echo's `X-Echo-Set-Header: name:value,...` (response headers to set), and
 * `/flaky/<key>?fail=N&code=C` fails the first N requests of each key with C (or `reset`: closes the
 * connection without an answer) before answering 200; `/stall` never answers (nor does any request to an app named `slow`); `/fail-at/<app>/...`
 * answers 500 on that app only.
 */
export class RouteMesh {
  readonly apps: Record<string, Echo> = {};
  readonly svcs: Record<string, Service> = {};
  readonly client = new Client();
  /** Services whose endpoints point at a port nothing listens on */
  readonly down: Record<string, Service> = {};
  private readonly downPorts: Record<string, number> = {};
  /** apps whose Service has a second endpoint (listed first) that refuses connections */
  private readonly deadPeers: Record<string, number> = {};
  proxy!: OutboundProxy;
  source!: ManualConfigSource;
  /** requests per flaky key */
  readonly flaky = new Map<string, number>();
  private readonly stalled = new Set<ServerResponse>();

  static async start(
    names: string[],
    o: { down?: string[]; halfDown?: string[]; proxy?: Partial<OutboundProxyOptions> } = {},
  ): Promise<RouteMesh> {
    const m = new RouteMesh();
    for (const name of o.halfDown ?? []) m.deadPeers[name] = await freePort();
    for (const name of ['echo', ...names]) {
      m.apps[name] = await startEcho(name, m.handler(name));
      m.svcs[name] = service(name, await freePort());
    }
    for (const name of o.down ?? []) {
      m.down[name] = service(name, await freePort());
      m.downPorts[name] = await freePort();
    }
    m.source = new ManualConfigSource(m.mesh(undefined));
    m.proxy = await startOutboundProxy({ configSource: m.source, ...o.proxy });
    return m;
  }

  private handler =
    (app: string): AppHandler =>
    (req: IncomingMessage, res: ServerResponse) => {
      const set = req.headers['x-echo-set-header'];
      if (typeof set === 'string' && set !== '') {
        for (const pair of set.split(',')) {
          const colon = pair.indexOf(':');
          if (colon > 0) res.setHeader(pair.slice(0, colon), pair.slice(colon + 1));
        }
      }
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith(`/fail-at/${app}/`)) {
        res.writeHead(500, { 'x-served-by': app });
        res.end('failed on purpose');
        return true;
      }
      if (url.pathname === '/stall' || app === 'slow') {
        this.stalled.add(res);
        return true;
      }
      if (url.pathname.startsWith('/flaky/')) {
        const key = url.pathname.slice('/flaky/'.length);
        const n = (this.flaky.get(key) ?? 0) + 1;
        this.flaky.set(key, n);
        if (n <= Number(url.searchParams.get('fail') ?? '0')) {
          const code = url.searchParams.get('code') ?? '503';
          const delay = Number(url.searchParams.get('delay') ?? '0');
          const act = () => {
            if (code === 'reset') req.socket.resetAndDestroy();
            else {
              res.writeHead(Number(code), { 'content-type': 'text/plain', 'x-attempt': String(n) });
              res.end(`failure ${n}`);
            }
          };
          if (delay > 0) setTimeout(act, delay);
          else act();
          return true;
        }
        res.setHeader('x-attempt', String(n));
      }
      return false;
    };

  mesh(rules: RuleInput[] | undefined) {
    return {
      services: [...Object.values(this.svcs), ...Object.values(this.down)],
      httpRoutes: rules === undefined ? [] : [httpRoute('echo-route', 'echo', rules)],
      endpoints: [
        ...Object.entries(this.svcs).map(([name, svc]) =>
          endpoints(svc, [
            ...(this.deadPeers[name] !== undefined ? [{ port: this.deadPeers[name], deployment: name }] : []),
            { port: this.apps[name]!.port, deployment: name },
          ]),
        ),
        ...Object.entries(this.down).map(([name, svc]) =>
          endpoints(svc, [{ port: this.downPorts[name]!, deployment: name }]),
        ),
      ],
    };
  }

  port(name: string): number {
    return (this.svcs[name] ?? this.down[name])!.spec.ports[0]!.port;
  }

  /** a backendRef to Service `name` */
  to(name: string, weight?: number) {
    return backend(name, this.port(name), weight);
  }

  async apply(rules: RuleInput[] | undefined): Promise<void> {
    this.source.set(this.mesh(rules));
    await this.proxy.settled();
  }

  /** a request to Service `echo` through the proxy */
  send(path: string, o: Parameters<Client['send']>[2] = {}): Promise<Reply> {
    return this.client.send(this.port('echo'), path, o);
  }

  /** what the app answering `r` saw (the JSON the echo app returns) */
  static seen(r: Reply): {
    app: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    bodyLength: number;
  } {
    return JSON.parse(r.body);
  }

  /** wait until `cond()` holds, polling, for at most `ms` */
  static async until(cond: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.client.close();
    await this.proxy?.close({ drainMs: 100 });
    await Promise.all(Object.values(this.apps).map((a) => a.close()));
  }
}

export { freePort };
