import type { EgressObjects } from '../../engine/policy/egress.js';
import type { EgressNetwork, HTTPRoute, TCPRoute, TLSRoute } from '../../engine/resources/index.js';
import { StoreKindsView } from '../store/kinds-view.js';
import type { ResourceStore } from '../store/resource-store.js';

export interface EgressInputsSource {
  current(): EgressObjects;
  /** called after any change of the inputs; returns the unsubscribe function */
  subscribe(listener: () => void): () => void;
}

/** the kinds an egress policy is made of */
export const EGRESS_KINDS: ReadonlySet<string> = new Set(['EgressNetwork', 'HTTPRoute', 'TCPRoute', 'TLSRoute']);

/** The egress objects of a `ResourceStore` (validated there, at the edge); a change notifies subscribers (debounced). */
export class StoreEgressInputs extends StoreKindsView<EgressObjects> implements EgressInputsSource {
  constructor(store: ResourceStore, debounceMs = 5) {
    super(
      store,
      EGRESS_KINDS,
      (s) => ({
        egressNetworks: s.list<EgressNetwork>('EgressNetwork'),
        httpRoutes: s.list<HTTPRoute>('HTTPRoute'),
        tcpRoutes: s.list<TCPRoute>('TCPRoute'),
        tlsRoutes: s.list<TLSRoute>('TLSRoute'),
      }),
      debounceMs,
    );
  }
}
