import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { ResourceStore } from '../store/resource-store.js';
import { mountDiscovery } from './discovery.js';
import { mountOpenApi } from './openapi.js';
import { resourceRoutes } from './resources.js';
import { ApiStatusError, sendStatus } from './status.js';

export interface ApiExtension {
  /** mount extra routes (e.g. `/weir/v1/...` from the canary controller) */
  mount(app: express.Express): void;
}

export interface HttpApiOptions {
  store: ResourceStore;
  /** default 127.0.0.1; any other address requires `token` */
  host?: string;
  port?: number;
  /** a bearer token every request must carry (`Authorization: Bearer TOKEN`); required off loopback */
  token?: string;
  /** serve HTTPS with this key and certificate (PEM); kubectl sends a token only over TLS */
  tls?: { key: string; cert: string };
  extensions?: ApiExtension[];
  /** how often a watch with allowWatchBookmarks gets a BOOKMARK; default 15 s */
  bookmarkIntervalMs?: number;
}

export interface HttpApi {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and `localhost`: where the API may listen without a token. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

function tokenCheck(token: string) {
  const want = Buffer.from(`Bearer ${token}`);
  return (req: Request, res: Response, next: NextFunction): void => {
    const got = Buffer.from(req.get('authorization') ?? '');
    if (got.length === want.length && timingSafeEqual(got, want)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendStatus(res, new ApiStatusError(401, 'Unauthorized', 'Unauthorized'));
  };
}

/**
 * The embedded API, following the Kubernetes API conventions closely enough that kubectl and client
 * libraries work unchanged: discovery and OpenAPI, list/watch, create/update/patch/delete with
 * optimistic concurrency, subresources, Status errors. `weir get/apply` and scripts use it too.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const { store } = options;
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token)
    throw new Error(`the API bound to ${host} (not loopback) requires a bearer token`);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  if (options.token) app.use(tokenCheck(options.token));
  app.use(express.json({ limit: '8mb', type: ['application/json', 'application/*+json'] }));
  app.use(express.text({ limit: '8mb', type: 'application/apply-patch+yaml' }));

  app.get(['/healthz', '/readyz', '/livez'], (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/weir/v1/rejected', (_req, res) => {
    res.json({ items: store.rejected() });
  });
  for (const ext of options.extensions ?? []) ext.mount(app);
  mountDiscovery(app);
  mountOpenApi(app);

  const routes = resourceRoutes({ store, bookmarkIntervalMs: options.bookmarkIntervalMs });
  app.use((req, res, next) => {
    void routes(req, res, next);
  });

  app.use((req: Request, res: Response) => {
    sendStatus(
      res,
      new ApiStatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${req.method} ${req.path})`,
      ),
    );
  });
  // express's error handler signature needs four arguments
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; message?: string };
    const code = e.status ?? 500;
    sendStatus(
      res,
      new ApiStatusError(
        code,
        code === 400 ? 'BadRequest' : code === 413 ? 'RequestEntityTooLarge' : 'InternalError',
        e.message ?? String(err),
      ),
    );
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, app)
      : createHttpServer(app);
    s.once('listening', () => resolve(s));
    s.once('error', reject);
    s.listen(options.port ?? 0, host);
  });
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  // a wildcard bind is reached on loopback from this machine
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = isIP(reachable) === 6 ? `[${reachable}]` : reachable;
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
