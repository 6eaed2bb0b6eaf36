import type { PolicyDefaults, PolicyObjects } from '../../engine/policy/index.js';
import { DEFAULT_POLICY_DEFAULTS } from '../../engine/policy/index.js';
import type { HTTPRoute, KubeObject, Pod } from '../../engine/resources/index.js';
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
export class StorePolicyInputs implements PolicyInputsSource {
  private readonly listeners = new Set<() => void>();
  private readonly unwatch: () => void;
  private timer: NodeJS.Timeout | undefined;
  private cached: PolicyInputs | undefined;

  constructor(
    private readonly store: ResourceStore,
    private readonly defaults: PolicyDefaults = DEFAULT_POLICY_DEFAULTS,
    private readonly debounceMs = 5,
  ) {
    this.unwatch = store.watch((e) => {
      if (!POLICY_KINDS.has(e.object.kind)) return;
      this.cached = undefined;
      if (this.timer !== undefined) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        for (const l of [...this.listeners]) l();
      }, this.debounceMs);
    });
  }

  current(): PolicyInputs {
    const s = this.store;
    this.cached ??= {
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
      defaults: this.defaults,
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
