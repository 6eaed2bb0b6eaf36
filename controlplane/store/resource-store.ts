import type { KubeObject, ResourceError } from '../../engine/resources/index.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
/** A change as a watch reports it; `object.metadata.resourceVersion` is the change's version (also on DELETED). */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ApplyOptions {
  /** who writes: 'user' (files, `weir apply`), or a controller name; recorded in managedFields-like metadata */
  manager?: string;
  /** objects the runtime derives and rebuilds on start (Pods) are not persisted */
  ephemeral?: boolean;
  /** precondition: the stored object's resourceVersion must be this one, else `ResourceConflictError` */
  resourceVersion?: string;
  /** `create`: fail with `ResourceExistsError` if it exists; `update`: `ResourceNotFoundError` if it does not */
  mode?: 'create' | 'update' | 'upsert';
}

export interface StatusOptions {
  /** precondition: the stored object's resourceVersion must be this one, else `ResourceConflictError` */
  resourceVersion?: string;
  /**
   * `patchStatus` only: readers see the status once a restart would find it too (the local store writes its
   * file first; the statuses of one synchronous run of calls become visible together). A store whose writes
   * are durable when they are visible (the Kubernetes API, etcd) or that keeps nothing (memory) ignores it.
   */
  durable?: boolean;
}

/** What `changesSince` answers for a version older than the history the store keeps (a watch's 410 Gone). */
export const EXPIRED = 'expired' as const;

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
    options?: StatusOptions,
  ): Promise<T>;
  delete(kind: string, namespace: string, name: string, options?: StatusOptions): Promise<boolean>;
  /** events for every change after the call; returns the unsubscribe function */
  watch(handler: (event: WatchEvent) => void): () => void;
  /** the version of the last change (a list's resourceVersion) */
  currentVersion(): string;
  /** the changes after `resourceVersion`, oldest first, or `EXPIRED` when they are no longer kept */
  changesSince(resourceVersion: string): WatchEvent[] | typeof EXPIRED;
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

/** A write whose resourceVersion precondition no longer holds: someone else wrote in between (HTTP 409). */
export class ResourceConflictError extends Error {
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly objectName: string,
  ) {
    super(
      `Operation cannot be fulfilled on ${kind} "${objectName}": the object has been modified; ` +
        'please apply your changes to the latest version and try again',
    );
    this.name = 'ResourceConflictError';
  }
}

/** A create of an object that exists (HTTP 409 AlreadyExists). */
export class ResourceExistsError extends Error {
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly objectName: string,
  ) {
    super(`${kind} "${objectName}" already exists`);
    this.name = 'ResourceExistsError';
  }
}

/**
 * Run a read-modify-write until it does not conflict (client-go's `retry.RetryOnConflict`): `attempt`
 * reads the latest object and writes with its resourceVersion as precondition.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ResourceConflictError) || i >= attempts) throw err;
    }
  }
}
