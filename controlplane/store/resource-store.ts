import type { KubeObject, ResourceError } from '../../engine/resources/index.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ApplyOptions {
  /** who writes: 'user' (files, `weir apply`), or a controller name; recorded in managedFields-like metadata */
  manager?: string;
  /** objects the runtime derives and rebuilds on start (Pods) are not persisted */
  ephemeral?: boolean;
}

/**
 * The one way every component reads and writes resources, as Flagger's informers and clientsets are.
 * Implementations: the local folder + state directory (embedded default), the Kubernetes API.
 *
 * Reads are synchronous from an in-memory index (an informer cache on a cluster). Writes validate
 * through the kind's schema and throw a `ResourceValidationError` naming the field path.
 */
export interface ResourceStore {
  list<T extends KubeObject = KubeObject>(kind: string, namespace?: string): T[];
  get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): T | undefined;
  /** create or replace (spec and metadata); status is kept unless the object carries one */
  apply<T extends KubeObject = KubeObject>(object: KubeObject, options?: ApplyOptions): Promise<T>;
  /** replace only `.status` (the status subresource); bumps resourceVersion but not generation */
  patchStatus<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<T>;
  delete(kind: string, namespace: string, name: string): Promise<boolean>;
  /** events for every change after the call; returns the unsubscribe function */
  watch(handler: (event: WatchEvent) => void): () => void;
  /** documents rejected on the last read of their source (file, doc, field path), for `weir get errors` and the API */
  rejected(): ResourceError[];
}

export class ResourceValidationError extends Error {
  constructor(readonly errors: ResourceError[]) {
    super(errors.map((e) => `${e.path === '' ? '' : e.path + ': '}${e.message}`).join('; '));
    this.name = 'ResourceValidationError';
  }
}

export class ResourceNotFoundError extends Error {
  constructor(kind: string, namespace: string, name: string) {
    super(`${kind} ${namespace}/${name} not found`);
    this.name = 'ResourceNotFoundError';
  }
}
