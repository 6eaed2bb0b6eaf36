import { EgressPolicy, type EgressObjects } from '../../engine/policy/egress.js';

/** Where the outbound side gets its egress policy from (the control plane's EgressPolicies, or a fixed one). */
export interface EgressPolicySource {
  current(): EgressPolicy;
}

const NONE: EgressObjects = { egressNetworks: [], httpRoutes: [], tcpRoutes: [], tlsRoutes: [] };

/** a fixed policy (tests, `weir proxy --config FILE`): `objects` compiled for `namespace` */
export function fixedEgressSource(
  objects: EgressObjects = NONE,
  namespace = 'default',
  globalNamespace?: string,
): EgressPolicySource {
  const policy = new EgressPolicy(objects, namespace, globalNamespace);
  return { current: () => policy };
}
