import type { CanaryEvent } from '../engine/canary/index.js';
import type { KubeObject } from '../engine/resources/index.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** A Kubernetes-like `v1 Event` about a Canary (Flagger: reason `Synced`, involvedObject = the Canary). */
export interface CanaryEventRecord {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: { apiVersion: 'flagger.app/v1beta1'; kind: 'Canary'; name: string; namespace: string; uid?: string };
  type: CanaryEvent['type'];
  reason: string;
  message: string;
  source: { component: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

export interface EventSubject {
  metadata: { name: string; namespace: string; uid?: string };
}

/**
 * Events of each Canary, the latest `capacity` of them, in memory and logged (Normal at info, Warning at
 * warn); with a `store`, also written to it as core v1 Events (as Flagger's go to the Kubernetes API), so
 * that they survive a restart and are listed at `/api/v1/namespaces/NS/events`. Writes go out in order,
 * one after the other; `flush()` waits for them. Events that fall out of the ring are deleted from the
 * store. On construction the recorder reads back the events its component wrote.
 *
 * Names are `<canary>.<hex of the time in ns>` as client-go names events, bumped by one nanosecond
 * when needed so that names are unique and sort in recording order.
 */
export class EventRecorder {
  private readonly byCanary = new Map<string, CanaryEventRecord[]>();
  private readonly listeners = new Set<(e: CanaryEventRecord) => void>();
  private writes: Promise<void> = Promise.resolve();
  private lastNs = 0n;

  constructor(
    private readonly options: {
      clock: Clock;
      logger: Logger;
      capacity?: number;
      component?: string;
      store?: ResourceStore;
    },
  ) {
    if (options.store !== undefined) this.load(options.store);
  }

  private get component(): string {
    return this.options.component ?? 'weir-canary-controller';
  }

  private get capacity(): number {
    return this.options.capacity ?? 500;
  }

  private load(store: ResourceStore): void {
    const mine = store
      .list<KubeObject & Partial<CanaryEventRecord>>('Event')
      .filter((e) => e.involvedObject?.kind === 'Canary' && e.source?.component === this.component)
      .sort(
        (a, b) =>
          (a.firstTimestamp ?? '').localeCompare(b.firstTimestamp ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
    for (const e of mine) {
      const rec = e as unknown as CanaryEventRecord;
      const key = `${rec.involvedObject.namespace ?? e.metadata.namespace}/${rec.involvedObject.name}`;
      const ring = this.byCanary.get(key) ?? [];
      ring.push(rec);
      this.byCanary.set(key, ring);
      // names recorded from now on sort after these, whatever the clock says
      const hex = /\.([0-9a-f]{1,32})$/.exec(e.metadata.name)?.[1];
      if (hex !== undefined && BigInt(`0x${hex}`) > this.lastNs) this.lastNs = BigInt(`0x${hex}`);
    }
    for (const ring of this.byCanary.values()) this.trim(ring);
  }

  record(canary: EventSubject, event: CanaryEvent): CanaryEventRecord {
    const { name, namespace, uid } = canary.metadata;
    const now = this.options.clock.now();
    const stamp = now.toISOString();
    const rec: CanaryEventRecord = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${this.suffix(now.getTime())}`, namespace },
      involvedObject: { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name, namespace, ...(uid ? { uid } : {}) },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.component },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
    };
    const key = `${namespace}/${name}`;
    const ring = this.byCanary.get(key) ?? [];
    ring.push(rec);
    this.byCanary.set(key, ring);
    this.persist(rec);
    this.trim(ring);
    const line = `canary ${namespace}/${name}: ${event.message}`;
    const fields = { namespace, canary: name };
    if (event.type === 'Warning') this.options.logger.warn(line, fields);
    else this.options.logger.info(line, fields);
    for (const l of [...this.listeners]) l(rec);
    return rec;
  }

  /** the store has every event recorded so far (resolves even when a write failed; that one is logged) */
  flush(): Promise<void> {
    return this.writes;
  }

  /** Events in the order they happened: of one Canary, of a namespace, or all. */
  recent(namespace?: string, name?: string): CanaryEventRecord[] {
    if (namespace !== undefined && name !== undefined) return [...(this.byCanary.get(`${namespace}/${name}`) ?? [])];
    const all = [...this.byCanary.values()]
      .flat()
      .filter((e) => namespace === undefined || e.metadata.namespace === namespace);
    return all.sort(
      (a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp) || a.metadata.name.localeCompare(b.metadata.name),
    );
  }

  /** messages only, handy for tests and the CLI */
  messages(namespace: string, name: string): string[] {
    return this.recent(namespace, name).map((e) => e.message);
  }

  subscribe(listener: (e: CanaryEventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** forget a deleted Canary's events (and delete them from the store) */
  forget(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const ring = this.byCanary.get(key) ?? [];
    this.byCanary.delete(key);
    for (const e of ring) this.unpersist(e);
  }

  /** a unique name suffix: the time in ns as 16 hex digits, past the last one given */
  private suffix(ms: number): string {
    let ns = BigInt(Math.max(0, Math.floor(ms))) * 1_000_000n;
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    return ns.toString(16).padStart(16, '0');
  }

  private trim(ring: CanaryEventRecord[]): void {
    const over = ring.length - this.capacity;
    if (over <= 0) return;
    for (const e of ring.splice(0, over)) this.unpersist(e);
  }

  private persist(rec: CanaryEventRecord): void {
    const store = this.options.store;
    if (store === undefined) return;
    this.enqueue(`write event ${rec.metadata.namespace}/${rec.metadata.name}`, () =>
      store.apply(rec as unknown as KubeObject, { manager: this.component }),
    );
  }

  private unpersist(rec: CanaryEventRecord): void {
    const store = this.options.store;
    if (store === undefined) return;
    this.enqueue(`delete event ${rec.metadata.namespace}/${rec.metadata.name}`, () =>
      store.delete('Event', rec.metadata.namespace, rec.metadata.name),
    );
  }

  private enqueue(what: string, op: () => Promise<unknown>): void {
    this.writes = this.writes.then(
      () =>
        op().then(
          () => undefined,
          (err: unknown) =>
            this.options.logger.warn(`${what} failed: ${err instanceof Error ? err.message : String(err)}`),
        ),
      () => undefined,
    );
  }
}
