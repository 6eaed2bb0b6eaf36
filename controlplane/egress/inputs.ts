import type { EgressObjects } from '../../engine/policy/egress.js';
import type { EgressNetwork, HTTPRoute, TCPRoute, TLSRoute } from '../../engine/resources/index.js';
import type { ResourceStore } from '../store/resource-store.js';

export interface EgressInputsSource {
  current(): EgressObjects;
  /** called after any change of the inputs; returns the unsubscribe function */
  subscribe(listener: () => void): () => void;
}

/** the kinds an egress policy is made of */
export const EGRESS_KINDS: ReadonlySet<string> = new Set(['EgressNetwork', 'HTTPRoute', 'TCPRoute', 'TLSRoute']);

/** The egress objects of a `ResourceStore` (validated there, at the edge); a change notifies subscribers (debounced). */
export class StoreEgressInputs implements EgressInputsSource {
  private readonly listeners = new Set<() => void>();
  private readonly unwatch: () => void;
  private timer: NodeJS.Timeout | undefined;
  private cached: EgressObjects | undefined;

  constructor(
    private readonly store: ResourceStore,
    private readonly debounceMs = 5,
  ) {
    this.unwatch = store.watch((e) => {
      if (!EGRESS_KINDS.has(e.object.kind)) return;
      this.cached = undefined;
      if (this.timer !== undefined) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        for (const l of [...this.listeners]) l();
      }, this.debounceMs);
    });
  }

  current(): EgressObjects {
    const s = this.store;
    this.cached ??= {
      egressNetworks: s.list<EgressNetwork>('EgressNetwork'),
      httpRoutes: s.list<HTTPRoute>('HTTPRoute'),
      tcpRoutes: s.list<TCPRoute>('TCPRoute'),
      tlsRoutes: s.list<TLSRoute>('TLSRoute'),
    };
    return this.cached;
  }

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
