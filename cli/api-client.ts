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
    const res = await this.send(method, path, body, AbortSignal.timeout(15_000));
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

  /** one request; the response is not read (streams: watches, logs). Throws when the API cannot be reached. */
  async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<globalThis.Response> {
    try {
      return await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(process.env.WEIR_API_TOKEN ? { authorization: `Bearer ${process.env.WEIR_API_TOKEN}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal.aborted && !(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError'))
        throw err;
      throw new Error(
        `cannot reach the Weir API at ${this.baseUrl}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** an error answer of a streaming request as an ApiError (the Status message) */
  static async errorOf(res: globalThis.Response): Promise<ApiError> {
    const text = await res.text();
    let message = text || res.statusText;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text itself
    }
    return new ApiError(res.status, message);
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

  async list(kind: string, namespace?: string, query: ListQuery = {}): Promise<KubeObject[]> {
    return (await this.listWithVersion(kind, namespace, query)).items;
  }

  /** a list and the resourceVersion to watch it from */
  async listWithVersion(
    kind: string,
    namespace?: string,
    query: ListQuery = {},
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const info = kinds[kind];
    if (!info) throw new Error(`unknown kind ${kind}`);
    const list = await this.request<{ items: KubeObject[]; metadata?: { resourceVersion?: string } }>(
      'GET',
      kubePathOf(info, namespace) +
        queryString({ labelSelector: query.labelSelector, fieldSelector: query.fieldSelector }),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** DELETE; false when it did not exist */
  async delete(kind: string, namespace: string, name: string): Promise<boolean> {
    const info = kinds[kind];
    if (!info) throw new Error(`unknown kind ${kind}`);
    try {
      await this.request('DELETE', kubePathOf(info, namespace, name));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  }
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

export function queryString(q: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, v);
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}
