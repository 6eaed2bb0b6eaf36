import { randomUUID } from 'node:crypto';
import { decodeResource, type KubeObject, type ResourceError } from '../../engine/resources/index.js';
import {
  ResourceNotFoundError,
  ResourceValidationError,
  type ApplyOptions,
  type ResourceStore,
  type WatchEvent,
} from './resource-store.js';

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
  private version = 0;
  protected rejections: ResourceError[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

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

  /** validate, stamp metadata, index and notify; returns the stored object */
  protected applySync(object: KubeObject, _options: ApplyOptions = {}): KubeObject {
    const decoded = decodeResource(structuredClone(object));
    if (!decoded.ok) throw new ResourceValidationError(decoded.errors);
    const next = decoded.object;
    const key = objectKey(next.kind, next.metadata.namespace, next.metadata.name);
    const prev = this.objects.get(key);
    const specChanged = !prev || JSON.stringify(prev.spec) !== JSON.stringify(next.spec);
    next.metadata.uid = prev?.metadata.uid ?? next.metadata.uid ?? randomUUID();
    next.metadata.creationTimestamp =
      prev?.metadata.creationTimestamp ?? next.metadata.creationTimestamp ?? this.clock().toISOString();
    next.metadata.generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0) || 1;
    next.metadata.resourceVersion = String(++this.version);
    if (next.status === undefined && prev?.status !== undefined) next.status = prev.status;
    this.objects.set(key, next);
    this.emit({ type: prev ? 'MODIFIED' : 'ADDED', object: next });
    return next;
  }

  async patchStatus<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<T> {
    return this.patchStatusSync(kind, namespace, name, status) as T;
  }

  protected patchStatusSync(kind: string, namespace: string, name: string, status: unknown): KubeObject {
    const key = objectKey(kind, namespace, name);
    const prev = this.objects.get(key);
    if (!prev) throw new ResourceNotFoundError(kind, namespace, name);
    const next: KubeObject = {
      ...prev,
      metadata: { ...prev.metadata, resourceVersion: String(++this.version) },
      status: structuredClone(status),
    };
    this.objects.set(key, next);
    this.emit({ type: 'MODIFIED', object: next });
    return next;
  }

  async delete(kind: string, namespace: string, name: string): Promise<boolean> {
    return this.deleteSync(kind, namespace, name);
  }

  protected deleteSync(kind: string, namespace: string, name: string): boolean {
    const key = objectKey(kind, namespace, name);
    const prev = this.objects.get(key);
    if (!prev) return false;
    this.objects.delete(key);
    this.emit({ type: 'DELETED', object: prev });
    return true;
  }

  watch(handler: (event: WatchEvent) => void): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  rejected(): ResourceError[] {
    return [...this.rejections];
  }

  protected emit(event: WatchEvent): void {
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
