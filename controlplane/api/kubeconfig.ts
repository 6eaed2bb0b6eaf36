import { stringify } from 'yaml';

/** A kubeconfig for kubectl and client libraries: one cluster, user and context, all named `weir`. */
export function kubeconfigFor(server: string, options: { token?: string; namespace?: string } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'weir', cluster: { server } }],
    users: [{ name: 'weir', user: options.token ? { token: options.token } : {} }],
    contexts: [{ name: 'weir', context: { cluster: 'weir', user: 'weir', namespace: options.namespace ?? 'default' } }],
    'current-context': 'weir',
    preferences: {},
  });
}
