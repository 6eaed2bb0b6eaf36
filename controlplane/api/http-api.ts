import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../engine/resources/index.js';
import { ResourceNotFoundError, ResourceValidationError, type ResourceStore } from '../store/resource-store.js';
import { parseKubePath } from './kube-paths.js';

export interface ApiExtension {
  /** mount extra routes (e.g. `/weir/v1/...` from the canary controller) */
  mount(app: express.Express): void;
}

export interface HttpApiOptions {
  store: ResourceStore;
  host?: string;
  port?: number;
  extensions?: ApiExtension[];
}

export interface HttpApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

function status(res: Response, code: number, reason: string, message: string): void {
  res.status(code).json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

/**
 * The local API: Kubernetes REST paths with Kubernetes-shaped JSON over the store, so that
 * scripts (and `weir apply/get`) can read and write resources and poll them cheaply.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const { store } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '4mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/weir/v1/rejected', (_req, res) => {
    res.json({ items: store.rejected() });
  });
  for (const ext of options.extensions ?? []) ext.mount(app);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const p = parseKubePath(req.path);
    if (!p) {
      next();
      return;
    }
    const { info, namespace, name, subresource } = p;
    void (async () => {
      if (req.method === 'GET' && name === undefined) {
        const items = store.list(info.kind, namespace);
        res.json({
          apiVersion: info.group === '' ? info.version : `${info.group}/${info.version}`,
          kind: `${info.kind}List`,
          metadata: {},
          items,
        });
        return;
      }
      if (namespace === undefined || name === undefined) {
        status(res, 405, 'MethodNotAllowed', `${req.method} needs a namespaced object path`);
        return;
      }
      if (req.method === 'GET') {
        const obj = store.get(info.kind, namespace, name);
        if (!obj) status(res, 404, 'NotFound', `${info.plural} "${name}" not found in namespace "${namespace}"`);
        else res.json(subresource === 'status' ? { ...obj } : obj);
        return;
      }
      if (req.method === 'DELETE') {
        const gone = await store.delete(info.kind, namespace, name);
        if (!gone) status(res, 404, 'NotFound', `${info.plural} "${name}" not found in namespace "${namespace}"`);
        else res.json({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
        return;
      }
      if (req.method === 'PUT' || req.method === 'POST') {
        const body = req.body as KubeObject | undefined;
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          status(res, 400, 'BadRequest', 'the request body must be a JSON object');
          return;
        }
        if (subresource === 'status') {
          const updated = await store.patchStatus(info.kind, namespace, name, (body as { status?: unknown }).status);
          res.json(updated);
          return;
        }
        const meta = (body.metadata ?? {}) as { name?: string; namespace?: string };
        if (
          (meta.name !== undefined && meta.name !== name) ||
          (meta.namespace !== undefined && meta.namespace !== namespace)
        ) {
          status(res, 400, 'BadRequest', `metadata.name/namespace do not match the path ${req.path}`);
          return;
        }
        const existed = store.get(info.kind, namespace, name) !== undefined;
        const stored = await store.apply(
          { ...body, apiVersion: body.apiVersion, kind: info.kind, metadata: { ...body.metadata, name, namespace } },
          { manager: 'api' },
        );
        res.status(existed ? 200 : 201).json(stored);
        return;
      }
      status(res, 405, 'MethodNotAllowed', `${req.method} is not supported here`);
    })().catch((err: unknown) => {
      if (err instanceof ResourceValidationError) {
        status(res, 422, 'Invalid', `${info.kind} "${name ?? ''}" is invalid: ${err.message}`);
      } else if (err instanceof ResourceNotFoundError) {
        status(res, 404, 'NotFound', err.message);
      } else {
        status(res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
      }
    });
  });

  app.use((req: Request, res: Response) => {
    status(res, 404, 'NotFound', `no route for ${req.method} ${req.path}`);
  });
  // express's error handler signature needs four arguments
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; message?: string };
    status(res, e.status ?? 500, e.status === 400 ? 'BadRequest' : 'InternalError', e.message ?? String(err));
  });

  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host);
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
