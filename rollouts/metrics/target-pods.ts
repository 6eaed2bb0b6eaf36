import {
  ANNOTATION_ADMIN_PORT,
  type Canary,
  type Deployment,
  type Pod,
  type Service,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';

/** GET one admin `/metrics` page with a timeout */
export async function httpScrape(url: string, timeoutMs: number): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return await res.text();
  } finally {
    clearTimeout(timer);
  }
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels?.[k] === v);
}

/** the pods of a canary's target: its selector (a workload's `matchLabels`, a Service's `selector`) */
export function targetSelector(store: ResourceStore, canary: Canary): Record<string, string> | undefined {
  const ref = canary.spec.targetRef;
  if (ref.kind === 'Service') return store.get<Service>('Service', canary.metadata.namespace, ref.name)?.spec.selector;
  return store.get<Deployment>(ref.kind, canary.metadata.namespace, ref.name)?.spec.selector.matchLabels;
}

/** the pods matching `selector` that have a sidecar admin port to scrape */
export function scrapablePods(store: ResourceStore, namespace: string, selector: Record<string, string>): Pod[] {
  return store
    .list<Pod>('Pod', namespace)
    .filter((p) => matchesSelector(p.metadata.labels, selector))
    .filter((p) => p.metadata.annotations?.[ANNOTATION_ADMIN_PORT] !== undefined);
}
