import type { KubeConfig } from '@kubernetes/client-node';
import {
  decodeResource,
  kinds as registry,
  type KindInfo,
  type KubeObject,
  type ResourceError,
} from '../../engine/resources/index.js';
import { kubePathOf } from '../api/kube-paths.js';
import { KubeHttp, storeErrorOf, type KubeReply } from './kube-http.js';
import { KindInformer } from './kube-informer.js';
import { silentLogger, type Logger } from './logger.js';
import {
  EXPIRED,
  ResourceConflictError,
  ResourceExistsError,
  ResourceNotFoundError,
  ResourceValidationError,
  type ApplyOptions,
  type ResourceStore,
  type StatusOptions,
  type WatchEvent,
  type WatchEventType,
} from './resource-store.js';

/** How many changes the store keeps for `changesSince`. */
const HISTORY_SIZE = 5000;

export interface KubeStoreOptions {
  kubeConfig: KubeConfig;
  /** namespaced kinds are watched in this namespace only (default: all namespaces) */
  namespace?: string;
  /** the kinds to watch (default: every kind Weir interprets, see `engine/resources/registry.ts`) */
  kinds?: string[];
  logger?: Logger;
  /** pauses between failed list/watch attempts (default 200 ms doubling to 5 s) */
  retryMs?: { min: number; max: number };
}

/** Every kind Weir acts on: what the controller and the control plane read. */
export function interpretedKindNames(): string[] {
  return Object.values(registry)
    .filter((k) => k.interpreted)
    .map((k) => k.kind);
}

/** Kinds whose `.status` is a subresource (written apart from the spec); ConfigMap and Secret have none. */
const hasStatusSubresource = (kind: string) => kind !== 'ConfigMap' && kind !== 'Secret';

/**
 * The `ResourceStore` on a Kubernetes API server (a cluster, or Weir's own embedded API), through
 * `@kubernetes/client-node`'s kubeconfig handling:
 *
 * - reads are synchronous from one list+watch cache per kind (`KindInformer`), filled before `ready()`
 *   resolves, re-listed after 410 Gone or an API server restart; a kind the server does not serve (no CRD,
 *   no RBAC) reads as empty and is looked for again every 30 s;
 * - writes go to the API: `apply` creates (POST) or replaces (PUT), `patchStatus` replaces the status
 *   subresource (`PUT .../status`), `delete` deletes; a `resourceVersion` option is sent as the
 *   precondition; 404, 409 Conflict, 409 AlreadyExists and 422 Invalid become the store's errors. The
 *   object a write returns is put in the cache at once (read-your-writes); the watch event that follows
 *   for the same version is not reported twice;
 * - every object entering (list, watch, write reply) is validated once by its zod schema; rejected ones are
 *   not in the cache and are reported by `rejected()` (kind namespace/name as `file`, field path, message);
 * - `watch()` handlers get every cache change in order (a relist reports what differs).
 *
 * Approximate: `currentVersion()`/`changesSince()` count this store's own sequence of cache changes (the
 * API server's resourceVersions are per kind and opaque), and keep the last 5000; watch events carry the
 * server's resourceVersion in their objects as usual. Numeric resourceVersions are compared to skip a watch
 * event older than a write already cached.
 */
export class KubeStore implements ResourceStore {
  private readonly http: KubeHttp;
  private readonly informers = new Map<string, KindInformer>();
  private readonly watchers = new Set<(e: WatchEvent) => void>();
  private readonly history: Array<{ seq: number; event: WatchEvent }> = [];
  private seq = 0;
  private readonly logger: Logger;

  constructor(private readonly options: KubeStoreOptions) {
    this.http = new KubeHttp(options.kubeConfig);
    this.logger = options.logger ?? silentLogger;
    const names = options.kinds ?? interpretedKindNames();
    for (const kind of names) {
      const info = registry[kind];
      if (!info) throw new Error(`KubeStore: unknown kind ${kind}`);
      this.informers.set(
        kind,
        new KindInformer({
          info,
          http: this.http,
          kubeConfig: options.kubeConfig,
          ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
          onChange: (type, object) => this.emit(type, object),
          logger: this.logger.child(info.plural),
          ...(options.retryMs ? { retryMs: options.retryMs } : {}),
        }),
      );
    }
  }

  /** a store over the kubeconfig, started, its caches filled */
  static async open(options: KubeStoreOptions): Promise<KubeStore> {
    const store = new KubeStore(options);
    store.start();
    await store.ready();
    return store;
  }

  /** the API server's URL */
  get server(): string {
    return this.http.server;
  }

  start(): void {
    for (const i of this.informers.values()) i.start();
  }

  /** resolves once every kind has been listed once (or found not served) */
  async ready(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.hasSynced));
  }

  /** kinds the server does not serve or lets us read, with why */
  absentKinds(): Array<{ kind: string; why: string }> {
    return [...this.informers.values()].filter((i) => i.absent).map((i) => ({ kind: i.info.kind, why: i.absent! }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.watchers.clear();
  }

  list<T extends KubeObject = KubeObject>(kind: string, namespace?: string): T[] {
    const out = (this.informers.get(kind)?.list(namespace) ?? []) as T[];
    return out.sort((a, b) =>
      (a.metadata.namespace + '/' + a.metadata.name).localeCompare(b.metadata.namespace + '/' + b.metadata.name),
    );
  }

  get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    return this.informers.get(kind)?.get(namespace, name) as T | undefined;
  }

  private info(kind: string): KindInfo {
    const info = registry[kind];
    if (!info) throw new ResourceValidationError([{ path: 'kind', message: `unknown kind ${kind}` }]);
    return info;
  }

  /** the reply's object, validated and cached; a write's error mapped to the store's */
  private accepted(
    reply: KubeReply,
    info: KindInfo,
    namespace: string,
    name: string,
    what: string,
  ): KubeObject | undefined {
    if (reply.status < 200 || reply.status >= 300) throw storeErrorOf(reply, info.kind, namespace, name, what);
    const informer = this.informers.get(info.kind);
    if (informer) return informer.accept(reply.body);
    const decoded = decodeResource({
      ...(reply.body as object),
      kind: info.kind,
      apiVersion: info.group === '' ? info.version : `${info.group}/${info.version}`,
    });
    if (!decoded.ok) throw new ResourceValidationError(decoded.errors);
    return decoded.object;
  }

  async apply<T extends KubeObject = KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    const decoded = decodeResource(structuredClone(object));
    if (!decoded.ok) throw new ResourceValidationError(decoded.errors);
    const info = this.info(decoded.object.kind);
    const namespace = info.namespaced ? decoded.object.metadata.namespace : '';
    const name = decoded.object.metadata.name;
    // what is sent is what the caller wrote (the schemas keep unknown fields, but not every default belongs on the server)
    const body = structuredClone(object) as KubeObject;
    const { resourceVersion: _rv, uid: _uid, ...metadata } = body.metadata;
    body.metadata = { ...metadata, ...(info.namespaced ? { namespace } : {}) } as KubeObject['metadata'];
    const query = options.manager ? `?fieldManager=${encodeURIComponent(options.manager)}` : '';
    const create = async () => {
      const reply = await this.http.request('POST', kubePathOf(info, namespace) + query, body);
      return this.accepted(reply, info, namespace, name, `create ${info.kind} ${namespace}/${name}`);
    };
    const replace = async (rv?: string) => {
      const sent = rv === undefined ? body : { ...body, metadata: { ...body.metadata, resourceVersion: rv } };
      const reply = await this.http.request('PUT', kubePathOf(info, namespace, name) + query, sent);
      return this.accepted(reply, info, namespace, name, `replace ${info.kind} ${namespace}/${name}`);
    };
    let stored: KubeObject | undefined;
    if (options.mode === 'create') stored = await create();
    else if (options.mode === 'update' || options.resourceVersion !== undefined)
      stored = await replace(options.resourceVersion);
    else if (this.get(info.kind, namespace, name)) {
      try {
        stored = await replace();
      } catch (err) {
        if (!(err instanceof ResourceNotFoundError)) throw err;
        stored = await create();
      }
    } else {
      try {
        stored = await create();
      } catch (err) {
        if (!(err instanceof ResourceExistsError)) throw err;
        stored = await replace();
      }
    }
    // an object carrying a status gets it, as the local store does: through the status subresource
    if (
      stored &&
      object.status !== undefined &&
      hasStatusSubresource(info.kind) &&
      JSON.stringify(stored.status) !== JSON.stringify(object.status)
    )
      stored = await this.patchStatus(info.kind, namespace, name, object.status, {
        resourceVersion: stored.metadata.resourceVersion,
      });
    if (!stored) throw new Error(`${info.kind} ${namespace}/${name}: the API server answered an invalid object`);
    return stored as T;
  }

  async patchStatus<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    options: StatusOptions = {},
  ): Promise<T> {
    const info = this.info(kind);
    const ns = info.namespaced ? namespace : '';
    let base = this.get(kind, ns, name);
    if (!base) {
      const reply = await this.http.request('GET', kubePathOf(info, ns, name));
      if (reply.status === 404) throw new ResourceNotFoundError(kind, ns, name);
      base = this.accepted(reply, info, ns, name, `get ${kind} ${ns}/${name}`);
      if (!base) throw new ResourceNotFoundError(kind, ns, name);
    }
    const { resourceVersion: _rv, ...metadata } = base.metadata;
    const body = {
      ...base,
      metadata: {
        ...metadata,
        ...(options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {}),
      },
      status,
    };
    const path = kubePathOf(info, ns, name) + (hasStatusSubresource(kind) ? '/status' : '');
    const reply = await this.http.request('PUT', path, body);
    const stored = this.accepted(reply, info, ns, name, `replace ${kind} ${ns}/${name} status`);
    if (!stored) throw new Error(`${kind} ${ns}/${name}: the API server answered an invalid object`);
    return stored as T;
  }

  async delete(kind: string, namespace: string, name: string, options: StatusOptions = {}): Promise<boolean> {
    const info = this.info(kind);
    const ns = info.namespaced ? namespace : '';
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      ...(options.resourceVersion !== undefined ? { preconditions: { resourceVersion: options.resourceVersion } } : {}),
    };
    const reply = await this.http.request('DELETE', kubePathOf(info, ns, name), body);
    if (reply.status === 404) {
      // a precondition on an object that is not there is a NotFound, as the local store's
      if (options.resourceVersion !== undefined) throw new ResourceNotFoundError(kind, ns, name);
      this.informers.get(kind)?.forget(ns, name);
      return false;
    }
    if (reply.status === 409) throw new ResourceConflictError(kind, ns, name);
    if (reply.status < 200 || reply.status >= 300)
      throw storeErrorOf(reply, kind, ns, name, `delete ${kind} ${ns}/${name}`);
    // held by finalizers: the object stays, with its deletionTimestamp; else it is gone
    const o = reply.body as {
      kind?: string;
      metadata?: { deletionTimestamp?: string; finalizers?: string[]; resourceVersion?: string };
    };
    if (o.kind === info.kind && o.metadata?.deletionTimestamp && (o.metadata.finalizers ?? []).length > 0)
      this.informers.get(kind)?.accept(o);
    else this.informers.get(kind)?.forget(ns, name, o.metadata?.resourceVersion);
    return true;
  }

  watch(handler: (event: WatchEvent) => void): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  /** this store's sequence number of its last cache change (not an API server resourceVersion) */
  currentVersion(): string {
    return String(this.seq);
  }

  changesSince(version: string): WatchEvent[] | typeof EXPIRED {
    const v = Number(version);
    if (!Number.isSafeInteger(v) || v < 0 || v > this.seq) return EXPIRED;
    const oldest = this.history.length > 0 ? this.history[0]!.seq - 1 : this.seq;
    if (v < oldest) return EXPIRED;
    return this.history.filter((h) => h.seq > v).map((h) => h.event);
  }

  rejected(): ResourceError[] {
    return [...this.informers.values()].flatMap((i) => i.rejected());
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    const event: WatchEvent = { type, object };
    this.history.push({ seq: ++this.seq, event });
    if (this.history.length > HISTORY_SIZE) this.history.splice(0, this.history.length - HISTORY_SIZE);
    for (const w of [...this.watchers]) {
      try {
        w(event);
      } catch (err) {
        process.emitWarning(`store watcher failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
