import type { PolicyDefaults, PolicyObjects } from '../../engine/policy/index.js';
import { DEFAULT_POLICY_DEFAULTS } from '../../engine/policy/index.js';
import type { HTTPRoute, KubeObject, Pod } from '../../engine/resources/index.js';
import { StoreKindsView } from '../store/kinds-view.js';
import type { ResourceStore } from '../store/resource-store.js';

/** What the control plane compiles inbound policies from: the policy objects, the pods, the mesh defaults. */
export interface PolicyInputs {
  objects: PolicyObjects;
  pod(namespace: string, name: string): Pod | undefined;
  defaults: PolicyDefaults;
}

export interface PolicyInputsSource {
  current(): PolicyInputs;
  /** called after any change of the inputs; returns the unsubscribe function */
  subscribe(listener: () => void): () => void;
}

/** the kinds a port's policy is made of */
export const POLICY_KINDS: ReadonlySet<string> = new Set([
  'Server',
  'AuthorizationPolicy',
  'MeshTLSAuthentication',
  'NetworkAuthentication',
  'HTTPLocalRateLimitPolicy',
  'HTTPRoute',
  'Namespace',
  'Pod',
]);

/**
 * Policy inputs read from a `ResourceStore` (validated there, at the edge): a store change of one of
 * `POLICY_KINDS` notifies the subscribers (debounced), who compile again. `defaults.defaultPolicy` is the
 * mesh-wide default (`weir up --default-inbound-policy`).
 */
export class StorePolicyInputs extends StoreKindsView<PolicyInputs> implements PolicyInputsSource {
  constructor(store: ResourceStore, defaults: PolicyDefaults = DEFAULT_POLICY_DEFAULTS, debounceMs = 5) {
    super(
      store,
      POLICY_KINDS,
      (s) => ({
        objects: {
          servers: s.list('Server') as never,
          authorizationPolicies: s.list('AuthorizationPolicy') as never,
          meshTLSAuthentications: s.list('MeshTLSAuthentication') as never,
          networkAuthentications: s.list('NetworkAuthentication') as never,
          rateLimits: s.list('HTTPLocalRateLimitPolicy') as never,
          httpRoutes: s.list<HTTPRoute>('HTTPRoute'),
          namespaces: s.list<KubeObject>('Namespace'),
        },
        pod: (ns, name) => s.get<Pod>('Pod', ns, name),
        defaults,
      }),
      debounceMs,
    );
  }
}
