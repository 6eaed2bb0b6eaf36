import type { Canary, KubeObject } from '../../engine/resources/index.js';

/** the apex Service of a canary: `service.name`, else the target's name (Flagger `GetServiceNames`) */
export function apexServiceName(canary: Canary): string {
  return canary.spec.service.name ?? canary.spec.targetRef.name;
}

/** a copy of `o` to write back: no status, no resourceVersion (the store's to set) */
export function withoutStatus<T extends KubeObject>(o: T): T {
  const copy = structuredClone(o);
  delete copy.status;
  delete copy.metadata.resourceVersion;
  return copy;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** the labels and annotations of a Canary's `service.apex|primary|canary` (or any object that has them) */
export function meta(o: unknown): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  if (o === null || typeof o !== 'object') return {};
  const m = o as { labels?: unknown; annotations?: unknown };
  const out: { labels?: Record<string, string>; annotations?: Record<string, string> } = {};
  if (m.labels && typeof m.labels === 'object') out.labels = m.labels as Record<string, string>;
  if (m.annotations && typeof m.annotations === 'object') out.annotations = m.annotations as Record<string, string>;
  return out;
}
