import { randomBytes } from 'node:crypto';
import type { CanaryEvent } from '../engine/canary/index.js';
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
 * Events kept in memory, a ring of the latest `capacity` per Canary, and logged (Normal at info, Warning
 * at warn). Exposed to the CLI and the API through `recent`.
 */
export class EventRecorder {
  private readonly byCanary = new Map<string, CanaryEventRecord[]>();
  private readonly listeners = new Set<(e: CanaryEventRecord) => void>();

  constructor(private readonly options: { clock: Clock; logger: Logger; capacity?: number; component?: string }) {}

  record(canary: EventSubject, event: CanaryEvent): CanaryEventRecord {
    const { name, namespace, uid } = canary.metadata;
    const stamp = this.options.clock.now().toISOString();
    const rec: CanaryEventRecord = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name, namespace, ...(uid ? { uid } : {}) },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.options.component ?? 'weir-canary-controller' },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
    };
    const key = `${namespace}/${name}`;
    const ring = this.byCanary.get(key) ?? [];
    ring.push(rec);
    const cap = this.options.capacity ?? 500;
    if (ring.length > cap) ring.splice(0, ring.length - cap);
    this.byCanary.set(key, ring);
    const line = `canary ${namespace}/${name}: ${event.message}`;
    if (event.type === 'Warning') this.options.logger.warn(line);
    else this.options.logger.info(line);
    for (const l of [...this.listeners]) l(rec);
    return rec;
  }

  /** Events in the order they happened: of one Canary, of a namespace, or all. */
  recent(namespace?: string, name?: string): CanaryEventRecord[] {
    if (namespace !== undefined && name !== undefined) return [...(this.byCanary.get(`${namespace}/${name}`) ?? [])];
    const all = [...this.byCanary.values()]
      .flat()
      .filter((e) => namespace === undefined || e.metadata.namespace === namespace);
    return all.sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
  }

  /** messages only, handy for tests and the CLI */
  messages(namespace: string, name: string): string[] {
    return this.recent(namespace, name).map((e) => e.message);
  }

  subscribe(listener: (e: CanaryEventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** forget a deleted Canary's events */
  forget(namespace: string, name: string): void {
    this.byCanary.delete(`${namespace}/${name}`);
  }
}
