import type { DefaultPolicyName } from '../resources/index.js';
import { LOOPBACK_NETWORKS, type PolicyAuthorization, type PolicyNetwork } from './types.js';

const ALL: PolicyNetwork[] = [
  { net: '0.0.0.0/0', except: [] },
  { net: '::/0', except: [] },
];

/**
 * Linkerd's default policies (`linkerd/app/inbound/src/policy/defaults.rs`) as authorizations, each
 * labelled `kind: default, name: <policy>`: `deny` has none; `audit` admits everyone but marks the
 * decision as a would-be denial.
 */
export function defaultAuthorizations(name: DefaultPolicyName, clusterNetworks: string[]): PolicyAuthorization[] {
  const labels = { group: '', kind: 'default', name };
  const cluster = clusterNetworks.map((net) => ({ net, except: [] }));
  const anyIdentity = { kind: 'meshTLS' as const, identities: [], suffixes: [''] };
  switch (name) {
    case 'all-unauthenticated':
      return [{ networks: ALL, authentication: { kind: 'unauthenticated' }, labels }];
    case 'all-authenticated':
      return [{ networks: ALL, authentication: anyIdentity, labels }];
    case 'cluster-unauthenticated':
      return [{ networks: cluster, authentication: { kind: 'unauthenticated' }, labels }];
    case 'cluster-authenticated':
      return [{ networks: cluster, authentication: anyIdentity, labels }];
    case 'audit':
      return [{ networks: ALL, authentication: { kind: 'unauthenticated' }, labels, audit: true }];
    case 'deny':
      return [];
  }
}

/**
 * The kubelet's rule (Linkerd authorizes its probes with a `default:probe` authorization): GET on the
 * pod's readiness/liveness probe paths from loopback, where the local runtime probes from, needs no
 * identity, whatever the policy.
 */
export function probeAuthorization(paths: string[]): PolicyAuthorization {
  return {
    networks: LOOPBACK_NETWORKS.map((net) => ({ net, except: [] })),
    authentication: { kind: 'unauthenticated' },
    labels: { group: '', kind: 'default', name: 'probe' },
    paths,
  };
}
