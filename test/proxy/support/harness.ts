import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  httpRouteSchema,
  serviceSchema,
  type httpRouteRule,
  type HTTPRoute,
  type Service,
} from '../../../engine/resources/index.js';
import type { ConfigSource, MeshEndpoint, MeshSnapshot, ServicePortEndpoints } from '../../../engine/mesh/snapshot.js';
import { podPort } from '../../../controlplane/runtime/net.js';

export const HOST = '127.0.0.1';

/**
 * A free port for a Service `port`, which is a listening port: outside the ephemeral range, so that no client
 * connection takes it before the proxy binds it (controlplane/runtime/net.ts `podPort`).
 */
export function freePort(): Promise<number> {
  return podPort(HOST);
}

export interface Echo {
  name: string;
  port: number;
  server: Server;
  /** requests seen, in order */
  seen: Array<{ method: string; url: string; rawHeaders: string[]; body: string }>;
  close(): Promise<void>;
}

export type AppHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | void;

/**
 * An app on port 0 that answers every request with JSON `{app, method, url, headers, rawHeaders, body}`
 * and `x-served-by: <name>`. `/slow?ms=N` waits first; `/status/N` answers N; `/chunked` streams three
 * chunks without a length. A custom handler that returns true takes over.
 */
export async function startEcho(name: string, custom?: AppHandler): Promise<Echo> {
  const seen: Echo['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: body.toString() });
      if (custom?.(req, res, body) === true) return;
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = (status: number) => {
        const json = JSON.stringify({
          app: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          bodyLength: body.length,
          body: body.length <= 1024 ? body.toString() : undefined,
        });
        res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': name });
        res.end(json);
      };
      if (url.pathname === '/slow') {
        setTimeout(() => answer(200), Number(url.searchParams.get('ms') ?? '100'));
      } else if (url.pathname.startsWith('/status/')) {
        answer(Number(url.pathname.slice('/status/'.length)));
      } else if (url.pathname === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name });
        res.write('one,');
        setTimeout(() => {
          res.write('two,');
          setTimeout(() => res.end('three'), 5);
        }, 5);
      } else {
        answer(200);
      }
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A ConfigSource a test drives by hand. */
export class ManualConfigSource implements ConfigSource {
  private snapshot: MeshSnapshot;
  private readonly listeners = new Set<(s: MeshSnapshot) => void>();

  constructor(initial: Omit<MeshSnapshot, 'version'>) {
    this.snapshot = { version: 1, ...initial };
  }

  current(): MeshSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (snapshot: MeshSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(next: Omit<MeshSnapshot, 'version'>): void {
    this.snapshot = { version: this.snapshot.version + 1, ...next };
    for (const l of this.listeners) l(this.snapshot);
  }
}

export function service(name: string, port: number, namespace = 'default'): Service {
  return serviceSchema.parse({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port }] },
  });
}

export function endpoints(svc: Service, eps: Array<Partial<MeshEndpoint> & { port: number }>): ServicePortEndpoints {
  const p = svc.spec.ports[0]!;
  return {
    namespace: svc.metadata.namespace,
    service: svc.metadata.name,
    port: p.port,
    portName: p.name,
    endpoints: eps.map((e) => ({ address: HOST, ready: true, namespace: svc.metadata.namespace, ...e })),
  };
}

export type RuleInput = z.input<typeof httpRouteRule>;

/** an HTTPRoute attached (GAMMA) to Service `parent` */
export function httpRoute(name: string, parent: string, rules: RuleInput[], namespace = 'default'): HTTPRoute {
  return httpRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: parent }], rules },
  });
}

export function backend(name: string, port: number, weight?: number) {
  return { group: '', kind: 'Service', name, port, ...(weight !== undefined ? { weight } : {}) };
}

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
  /** body chunks as they arrived */
  chunks: string[];
}

/** HTTP client for tests: keep-alive, every request bounded by a timeout. */
export class Client {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  send(
    port: number,
    path: string,
    o: {
      method?: string;
      headers?: Record<string, string> | string[];
      body?: string | Buffer | Buffer[];
      timeoutMs?: number;
    } = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: HOST,
        port,
        path,
        method: o.method ?? 'GET',
        headers: o.headers,
        agent: this.agent,
      });
      const timer = setTimeout(() => {
        req.destroy(new Error(`request ${o.method ?? 'GET'} ${path} timed out`));
      }, o.timeoutMs ?? 5_000);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: string[] = [];
        res.setEncoding('latin1');
        res.on('data', (c: string) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: chunks.join(''),
            chunks,
          });
        });
      });
      if (Array.isArray(o.body)) {
        // stream the parts with a pause between them
        const parts = [...o.body];
        const next = () => {
          const part = parts.shift();
          if (part === undefined) req.end();
          else req.write(part, () => setTimeout(next, 5));
        };
        next();
      } else {
        req.end(o.body);
      }
    });
  }

  /** GET text from an admin endpoint */
  async get(port: number, path: string): Promise<Reply> {
    return this.send(port, path);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** run `fn` over `n` items with at most `concurrency` at once */
export async function inParallel<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

/** until `cond()` holds, polling every 10 ms; throws after `ms` */
export async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
