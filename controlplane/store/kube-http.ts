import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ResourceError } from '../../engine/resources/index.js';
import {
  ResourceConflictError,
  ResourceExistsError,
  ResourceNotFoundError,
  ResourceValidationError,
} from './resource-store.js';

export interface KubeReply {
  status: number;
  body: unknown;
}

/** A Kubernetes `Status` (the body of every error reply). */
interface KubeStatus {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> };
}

/** An API reply that is not a success and maps to none of the store's errors. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/**
 * Plain JSON requests to the API server the kubeconfig names, authenticated and verified as
 * `@kubernetes/client-node` does it (`KubeConfig.applyToHTTPSOptions`: token, client certificate, exec
 * plugins, CA, skip-TLS-verify, proxy).
 */
export class KubeHttp {
  readonly server: string;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster (check current-context)');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<KubeReply> {
    const url = new URL(this.server + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const opts: RequestOptions = {
      method,
      headers: {
        accept: 'application/json',
        ...(payload
          ? { 'content-type': options.contentType ?? 'application/json', 'content-length': payload.length }
          : {}),
      },
    };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<KubeReply>((resolve, reject) => {
      const req = send(url, opts, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? {} : JSON.parse(text);
          } catch {
            // not JSON: kept as text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/**
 * The store's error for an API error reply: 404 -> `ResourceNotFoundError`, 409 AlreadyExists ->
 * `ResourceExistsError`, other 409 -> `ResourceConflictError`, 422 Invalid -> `ResourceValidationError`
 * with the causes' field paths; anything else a `KubeApiError` with the Status message.
 */
export function storeErrorOf(reply: KubeReply, kind: string, namespace: string, name: string, what: string): Error {
  const s = (typeof reply.body === 'object' && reply.body !== null ? reply.body : {}) as KubeStatus;
  if (reply.status === 404) return new ResourceNotFoundError(kind, namespace, name);
  if (reply.status === 409 && s.reason === 'AlreadyExists') return new ResourceExistsError(kind, namespace, name);
  if (reply.status === 409) return new ResourceConflictError(kind, namespace, name);
  if (reply.status === 422) {
    const causes = s.details?.causes ?? [];
    const errors: ResourceError[] =
      causes.length > 0
        ? causes.map((c) => ({ path: c.field ?? '', message: c.message ?? c.reason ?? 'invalid' }))
        : [{ path: '', message: s.message ?? 'invalid' }];
    return new ResourceValidationError(errors);
  }
  const message = s.message ?? (typeof reply.body === 'string' ? reply.body.slice(0, 200) : '');
  return new KubeApiError(reply.status, `${what}: ${reply.status} ${message}`.trim(), s.reason);
}
