import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { decodeResource, type KindInfo, type KubeObject, type ResourceError } from '../../engine/resources/index.js';
import { kubePathOf } from '../api/kube-paths.js';
import type { KubeHttp } from './kube-http.js';
import { silentLogger, type Logger } from './logger.js';
import type { WatchEventType } from './resource-store.js';

export interface KindInformerOptions {
  info: KindInfo;
  http: KubeHttp;
  kubeConfig: KubeConfig;
  /** namespaced kinds are listed in this namespace only (default: all namespaces) */
  namespace?: string;
  /** every change to the cache, in order */
  onChange: (type: WatchEventType, object: KubeObject) => void;
  logger?: Logger;
  /** first and longest wait between failed attempts (default 200 ms and 5 s) */
  retryMs?: { min: number; max: number };
  /** a kind the server does not serve (404/403) is looked for again this often (default 30 s) */
  absentRetryMs?: number;
  /** the server ends each watch after this long, and it is resumed (default 300 s) */
  watchTimeoutSeconds?: number;
}

/** true when `a` is a newer resourceVersion than `b` (numeric ones compared; opaque ones: different is newer) */
export function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

/**
 * One kind's list+watch against the API server, as client-go's Reflector with its store: list, then watch
 * from the list's resourceVersion with bookmarks; a watch the server ends is resumed from the last version
 * seen; 410 Gone (the version is too old: a restarted or compacted server) and any error relist, after a
 * growing pause for errors. A relist replaces the cache and reports the difference (ADDED, MODIFIED,
 * DELETED). Every object entering is validated by its zod schema once; rejected ones are kept aside with
 * their field paths and are not in the cache.
 */
export class KindInformer {
  readonly info: KindInfo;
  private readonly cache = new Map<string, KubeObject>();
  private readonly rejections = new Map<string, ResourceError[]>();
  /** objects a delete of ours removed, by the last version seen: older watch events for them are stale */
  private readonly tombstones = new Map<string, string | undefined>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private synced = false;
  private resolveSynced!: () => void;
  /** resolved once the first list is in the cache (or the kind is known not to be served) */
  readonly hasSynced: Promise<void>;
  /** the kind is not served by this server (no CRD) or not readable (RBAC) */
  absent: string | undefined;
  private running: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: KindInformerOptions) {
    this.info = options.info;
    this.logger = options.logger ?? silentLogger;
    this.hasSynced = new Promise((resolve) => (this.resolveSynced = resolve));
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.running;
  }

  list(namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.cache.values()) if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    return out;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.cache.get(`${this.info.namespaced ? namespace : ''}/${name}`);
  }

  rejected(): ResourceError[] {
    return [...this.rejections.values()].flat();
  }

  /** an object a write of ours returned: in the cache at once (read-your-writes), unless the cache is newer */
  accept(raw: unknown): KubeObject | undefined {
    return this.admit(raw);
  }

  /** an object a delete of ours removed */
  forget(namespace: string, name: string, resourceVersion?: string): void {
    const key = `${this.info.namespaced ? namespace : ''}/${name}`;
    const prev = this.cache.get(key);
    const last = prev?.metadata.resourceVersion;
    this.tombstones.set(key, resourceVersion && isNewer(resourceVersion, last) ? resourceVersion : last);
    if (!prev) return;
    this.cache.delete(key);
    this.options.onChange('DELETED', prev);
  }

  private path(): string {
    const ns = this.info.namespaced ? this.options.namespace : undefined;
    return kubePathOf(this.info, ns);
  }

  private decode(raw: unknown): { object?: KubeObject; key: string; errors?: ResourceError[] } {
    const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    // list items carry no kind/apiVersion
    const withKind = {
      ...o,
      kind: this.info.kind,
      apiVersion: this.info.group === '' ? this.info.version : `${this.info.group}/${this.info.version}`,
    };
    const meta = (o.metadata ?? {}) as { namespace?: string; name?: string };
    const key = `${this.info.namespaced ? (meta.namespace ?? '') : ''}/${meta.name ?? ''}`;
    const decoded = decodeResource(withKind);
    if (decoded.ok) return { object: decoded.object, key };
    const where = `${this.info.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`;
    return { key, errors: decoded.errors.map((e) => ({ ...e, file: where })) };
  }

  /** validate and put in the cache; ADDED/MODIFIED reported when the cache changed */
  private admit(raw: unknown): KubeObject | undefined {
    const { object, key, errors } = this.decode(raw);
    if (!object) {
      this.rejections.set(key, errors ?? []);
      this.logger.warn(`rejected ${errors?.map((e) => `${e.file ?? ''} ${e.path}: ${e.message}`).join('; ')}`);
      // the store holds valid objects only: an object that became invalid is no longer in it
      const prev = this.cache.get(key);
      if (prev) {
        this.cache.delete(key);
        this.options.onChange('DELETED', prev);
      }
      return undefined;
    }
    this.rejections.delete(key);
    if (this.tombstones.has(key)) {
      const gone = this.tombstones.get(key);
      if (!isNewer(object.metadata.resourceVersion, gone)) return undefined;
      this.tombstones.delete(key);
    }
    const prev = this.cache.get(key);
    // an event older than what a write of ours already put in the cache
    if (prev && !isNewer(object.metadata.resourceVersion, prev.metadata.resourceVersion)) return prev;
    this.cache.set(key, object);
    this.options.onChange(prev ? 'MODIFIED' : 'ADDED', object);
    return object;
  }

  private remove(raw: unknown): void {
    const meta = ((raw as { metadata?: { namespace?: string; name?: string } })?.metadata ?? {}) as {
      namespace?: string;
      name?: string;
      resourceVersion?: string;
    };
    const key = `${this.info.namespaced ? (meta.namespace ?? '') : ''}/${meta.name ?? ''}`;
    this.rejections.delete(key);
    const prev = this.cache.get(key);
    if (!prev) return;
    this.cache.delete(key);
    this.options.onChange('DELETED', {
      ...prev,
      metadata: { ...prev.metadata, ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}) },
    });
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.resolveSynced();
  }

  private async relist(): Promise<'listed' | 'absent'> {
    const reply = await this.options.http.request('GET', this.path());
    if (reply.status === 404 || reply.status === 403) {
      const why = reply.status === 404 ? 'not served by the API server (CRD not installed?)' : 'forbidden (RBAC)';
      if (this.absent !== why) this.logger.warn(`${this.info.plural}.${this.info.group || 'core'}: ${why}`);
      this.absent = why;
      // nothing of it is known: the cache empties
      for (const [k, o] of [...this.cache]) {
        this.cache.delete(k);
        this.options.onChange('DELETED', o);
      }
      return 'absent';
    }
    if (reply.status !== 200) {
      const msg = (reply.body as { message?: string })?.message ?? '';
      throw new Error(`list ${this.path()}: ${reply.status} ${msg}`);
    }
    this.absent = undefined;
    this.tombstones.clear();
    const body = reply.body as { metadata?: { resourceVersion?: string }; items?: unknown[] };
    const seen = new Set<string>();
    const nextRejections = new Map<string, ResourceError[]>();
    const next = new Map<string, KubeObject>();
    for (const item of body.items ?? []) {
      const { object, key, errors } = this.decode(item);
      seen.add(key);
      if (object) next.set(key, object);
      else nextRejections.set(key, errors ?? []);
    }
    this.rejections.clear();
    for (const [k, e] of nextRejections) this.rejections.set(k, e);
    for (const [k, o] of [...this.cache]) {
      if (!next.has(k)) {
        this.cache.delete(k);
        this.options.onChange('DELETED', o);
      }
    }
    for (const [k, o] of next) {
      const prev = this.cache.get(k);
      if (prev && prev.metadata.resourceVersion === o.metadata.resourceVersion) continue;
      this.cache.set(k, o);
      this.options.onChange(prev ? 'MODIFIED' : 'ADDED', o);
    }
    this.resourceVersion = body.metadata?.resourceVersion;
    return 'listed';
  }

  /** watch from the last version until the server ends it; 'gone' when a relist is needed */
  private watchOnce(): Promise<'ended' | 'gone'> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const watch = new Watch(this.options.kubeConfig);
      const jitter = Math.floor(Math.random() * 30);
      const timeoutSeconds = (this.options.watchTimeoutSeconds ?? 300) + jitter;
      // a server that vanished without closing the connection: the watch is given up a while after the
      // server should have ended it, and resumed
      const watchdog = setTimeout(
        () => {
          if (gone) return;
          gone = true;
          this.abort?.abort();
          resolve('ended');
        },
        (timeoutSeconds + 30) * 1000,
      );
      watchdog.unref();
      const settle = (f: () => void) => {
        clearTimeout(watchdog);
        f();
      };
      watch
        .watch(
          this.path(),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
          },
          (type: string, object: unknown) => {
            if (this.stopped || gone) return;
            const rv = (object as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
            if (type === 'ERROR') {
              const code = (object as { code?: number })?.code;
              gone = true;
              this.abort?.abort();
              if (code === 410) settle(() => resolve('gone'));
              else settle(() => reject(new Error(`watch ${this.path()}: ${JSON.stringify(object)}`)));
              return;
            }
            if (type === 'BOOKMARK') {
              if (rv) this.resourceVersion = rv;
              return;
            }
            if (type === 'ADDED' || type === 'MODIFIED') this.admit(object);
            else if (type === 'DELETED') this.remove(object);
            if (rv) this.resourceVersion = rv;
          },
          (err: unknown) => {
            if (gone) return;
            gone = true;
            const status = (err as { statusCode?: number } | null)?.statusCode;
            if (status === 410) settle(() => resolve('gone'));
            else if (err && !this.stopped) settle(() => reject(err instanceof Error ? err : new Error(String(err))));
            else settle(() => resolve('ended'));
          },
        )
        .then(
          (ac) => {
            this.abort = ac;
            if (this.stopped) ac.abort();
          },
          (err: unknown) => {
            if (!gone) settle(() => reject(err instanceof Error ? err : new Error(String(err))));
            gone = true;
          },
        );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    const { min, max } = this.options.retryMs ?? { min: 200, max: 5_000 };
    let pause = min;
    while (!this.stopped) {
      try {
        const listed = await this.relist();
        this.markSynced();
        if (listed === 'absent') {
          await this.sleep(this.options.absentRetryMs ?? 30_000);
          continue;
        }
        for (;;) {
          if (this.stopped) return;
          const began = Date.now();
          const how = await this.watchOnce();
          if (how === 'gone') break; // relist
          // a server that ends watches at once (shutting down) is not hammered
          if (Date.now() - began < 1_000) {
            await this.sleep(pause);
            pause = Math.min(max, pause * 2);
          } else pause = min;
        }
      } catch (err) {
        if (this.stopped) return;
        this.logger.debug(
          `${this.info.plural}: ${err instanceof Error ? err.message : String(err)}; retrying in ${pause} ms`,
        );
        await this.sleep(pause);
        pause = Math.min(max, pause * 2);
      }
    }
  }
}
