import type { KubeObject } from '../engine/resources/index.js';
import { kinds } from '../engine/resources/index.js';
import { kubePathOf } from '../controlplane/api/kube-paths.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A small client of the local API (Kubernetes REST paths). */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: globalThis.Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(process.env.WEIR_API_TOKEN ? { authorization: `Bearer ${process.env.WEIR_API_TOKEN}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new Error(
        `cannot reach the Weir API at ${this.baseUrl}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const msg = (json as { message?: string } | undefined)?.message ?? (text || res.statusText);
      throw new ApiError(res.status, msg);
    }
    return json as T;
  }

  /** replace the object (PUT), or create it (POST) when it does not exist */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const info = kinds[obj.kind];
    if (!info) throw new Error(`unknown kind ${obj.kind}`);
    try {
      return await this.request('PUT', kubePathOf(info, obj.metadata.namespace, obj.metadata.name), obj);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      return this.request('POST', kubePathOf(info, obj.metadata.namespace), obj);
    }
  }

  async get(kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const info = kinds[kind];
    if (!info) throw new Error(`unknown kind ${kind}`);
    try {
      return await this.request<KubeObject>('GET', kubePathOf(info, namespace, name));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(kind: string, namespace?: string): Promise<KubeObject[]> {
    const info = kinds[kind];
    if (!info) throw new Error(`unknown kind ${kind}`);
    const list = await this.request<{ items: KubeObject[] }>('GET', kubePathOf(info, namespace));
    return list.items;
  }
}
