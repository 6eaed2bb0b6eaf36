import type { ResourceStore } from './resource-store.js';

/**
 * A value read from some kinds of a `ResourceStore`, built on first use and kept until one of those kinds
 * changes; then subscribers are told once (debounced), and read it again. What the control plane compiles
 * per-sidecar answers from (inbound policy, egress policy) sits behind one of these.
 */
export class StoreKindsView<T> {
  private readonly listeners = new Set<() => void>();
  private readonly unwatch: () => void;
  private timer: NodeJS.Timeout | undefined;
  private cached: T | undefined;

  constructor(
    private readonly store: ResourceStore,
    kinds: ReadonlySet<string>,
    private readonly build: (store: ResourceStore) => T,
    debounceMs = 5,
  ) {
    this.unwatch = store.watch((e) => {
      if (!kinds.has(e.object.kind)) return;
      this.cached = undefined;
      if (this.timer !== undefined) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        for (const l of [...this.listeners]) l();
      }, debounceMs);
    });
  }

  current(): T {
    this.cached ??= this.build(this.store);
    return this.cached;
  }

  /** called after any change of the kinds; returns the unsubscribe function */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    clearTimeout(this.timer);
    this.unwatch();
    this.listeners.clear();
  }
}
