import { randomUUID } from 'node:crypto';
import { decodeResource, type KubeObject, type ResourceError } from '../../engine/resources/index.js';
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
} from './resource-store.js';

/** How many changes a store keeps for watches resuming from a resourceVersion. */
export const HISTORY_SIZE = 5000;

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * The in-memory index every store implementation keeps: validated objects by kind/namespace/name,
 * resourceVersion and generation bookkeeping, and watch fan-out. Used alone in tests; the local
 * folder store adds file sources and a state directory on top.
 */
export class MemoryStore implements ResourceStore {
  protected readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<(e: WatchEvent) => void>();
  /**
   * resourceVersions are a counter that starts at the start time in microseconds, so that a version from
   * an earlier run of the process is older than everything this run kept: a client resuming from it is
   * told 410 Gone and relists, as after an etcd compaction.
   */
  private version: number;
  private readonly startVersion: number;
  private readonly history: WatchEvent[] = [];
  protected rejections: ResourceError[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {
    this.version = Math.max(0, Date.now()) * 1000;
    this.startVersion = this.version;
  }

  currentVersion(): string {
    return String(this.version);
  }

  changesSince(resourceVersion: string): WatchEvent[] | typeof EXPIRED {
    const rv = Number(resourceVersion);
    if (!Number.isSafeInteger(rv) || rv < 0) return EXPIRED;
    const oldest = this.history.length > 0 ? versionOf(this.history[0]!) - 1 : this.version;
    if (rv < Math.min(oldest, this.version) || rv < this.startVersion) return EXPIRED;
    return this.history.filter((e) => versionOf(e) > rv);
  }

  private check(kind: string, namespace: string, name: string, prev: KubeObject | undefined, o: ApplyOptions): void {
    if (o.mode === 'create' && prev) throw new ResourceExistsError(kind, namespace, name);
    if ((o.mode === 'update' || o.resourceVersion !== undefined) && !prev)
      throw new ResourceNotFoundError(kind, namespace, name);
    if (o.resourceVersion !== undefined && prev && prev.metadata.resourceVersion !== o.resourceVersion)
      throw new ResourceConflictError(kind, namespace, name);
  }

  list<T extends KubeObject = KubeObject>(kind: string, namespace?: string): T[] {
    const out: T[] = [];
    for (const o of this.objects.values()) {
      if (o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)) out.push(o as T);
    }
    return out.sort((a, b) =>
      (a.metadata.namespace + '/' + a.metadata.name).localeCompare(b.metadata.namespace + '/' + b.metadata.name),
    );
  }

  get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    return this.objects.get(objectKey(kind, namespace, name)) as T | undefined;
  }

  async apply<T extends KubeObject = KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    return this.applySync(object, options) as T;
  }

  /**
   * validate, stamp metadata, index and notify; returns the stored object. An object being deleted
   * (`deletionTimestamp` set) keeps that timestamp, takes no new finalizer, and goes (DELETED) once a write
   * leaves it without finalizers: the returned object is then no longer in the store.
   */
  protected applySync(object: KubeObject, options: ApplyOptions = {}): KubeObject {
    const decoded = decodeResource(structuredClone(object));
    if (!decoded.ok) throw new ResourceValidationError(decoded.errors);
    const next = decoded.object;
    const key = objectKey(next.kind, next.metadata.namespace, next.metadata.name);
    const prev = this.objects.get(key);
    this.check(next.kind, next.metadata.namespace, next.metadata.name, prev, options);
    const deleting = prev?.metadata.deletionTimestamp;
    if (deleting !== undefined) {
      const had = new Set(prev?.metadata.finalizers ?? []);
      const added = (next.metadata.finalizers ?? []).filter((f) => !had.has(f));
      if (added.length > 0)
        throw new ResourceValidationError([
          {
            path: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          },
        ]);
      next.metadata.deletionTimestamp = deleting;
    } else {
      delete next.metadata.deletionTimestamp;
    }
    if ((next.metadata.finalizers ?? []).length === 0) delete next.metadata.finalizers;
    const specChanged = !prev || JSON.stringify(prev.spec) !== JSON.stringify(next.spec);
    next.metadata.uid = prev?.metadata.uid ?? next.metadata.uid ?? randomUUID();
    next.metadata.creationTimestamp =
      prev?.metadata.creationTimestamp ??
      next.metadata.creationTimestamp ??
      this.clock()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
    next.metadata.generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0) || 1;
    next.metadata.resourceVersion = String(++this.version);
    if (next.status === undefined && prev?.status !== undefined) next.status = prev.status;
    if (deleting !== undefined && next.metadata.finalizers === undefined) {
      // the last finalizer is gone: so is the object
      this.objects.delete(key);
      this.emit({ type: 'DELETED', object: next });
      return next;
    }
    this.objects.set(key, next);
    this.emit({ type: prev ? 'MODIFIED' : 'ADDED', object: next });
    return next;
  }

  async patchStatus<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    options: StatusOptions = {},
  ): Promise<T> {
    return this.patchStatusSync(kind, namespace, name, status, options) as T;
  }

  protected patchStatusSync(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    options: StatusOptions = {},
  ): KubeObject {
    const key = objectKey(kind, namespace, name);
    const prev = this.objects.get(key);
    if (!prev) throw new ResourceNotFoundError(kind, namespace, name);
    this.check(kind, namespace, name, prev, options);
    const next: KubeObject = {
      ...prev,
      metadata: { ...prev.metadata, resourceVersion: String(++this.version) },
      status: structuredClone(status),
    };
    this.objects.set(key, next);
    this.emit({ type: 'MODIFIED', object: next });
    return next;
  }

  async delete(kind: string, namespace: string, name: string, options: StatusOptions = {}): Promise<boolean> {
    return this.deleteSync(kind, namespace, name, options) !== false;
  }

  /**
   * Delete an object: `gone` when it is removed, `terminating` when finalizers hold it (it gets a
   * `deletionTimestamp`, MODIFIED, and goes when a write removes the last finalizer), false when there is
   * no such object.
   */
  protected deleteSync(
    kind: string,
    namespace: string,
    name: string,
    options: StatusOptions = {},
  ): 'gone' | 'terminating' | false {
    const key = objectKey(kind, namespace, name);
    const prev = this.objects.get(key);
    if (!prev) return false;
    this.check(kind, namespace, name, prev, options);
    if ((prev.metadata.finalizers ?? []).length > 0) {
      if (prev.metadata.deletionTimestamp !== undefined) return 'terminating';
      const deletionTimestamp = this.clock()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      const next: KubeObject = {
        ...prev,
        metadata: { ...prev.metadata, deletionTimestamp, resourceVersion: String(++this.version) },
      };
      this.objects.set(key, next);
      this.emit({ type: 'MODIFIED', object: next });
      return 'terminating';
    }
    this.objects.delete(key);
    const gone: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(++this.version) } };
    this.emit({ type: 'DELETED', object: gone });
    return 'gone';
  }

  watch(handler: (event: WatchEvent) => void): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  rejected(): ResourceError[] {
    return [...this.rejections];
  }

  protected emit(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_SIZE) this.history.splice(0, this.history.length - HISTORY_SIZE);
    for (const w of [...this.watchers]) {
      try {
        w(event);
      } catch (err) {
        // a watcher's bug must not break the store or the other watchers
        process.emitWarning(`store watcher failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

function versionOf(e: WatchEvent): number {
  return Number(e.object.metadata.resourceVersion);
}
