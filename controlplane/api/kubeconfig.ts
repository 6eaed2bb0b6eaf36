import { stringify } from 'yaml';

/**
 * A kubeconfig for kubectl and client libraries: one cluster, user and context, all named `weir`.
 * A plain-HTTP server is marked `insecure-skip-tls-verify`: @kubernetes/client-node refuses `http://`
 * otherwise (kubectl does not mind).
 */
export function kubeconfigFor(
  server: string,
  options: { token?: string; namespace?: string; caCert?: string } = {},
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'weir',
        cluster: {
          server,
          ...(server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}),
          ...(options.caCert ? { 'certificate-authority-data': Buffer.from(options.caCert).toString('base64') } : {}),
        },
      },
    ],
    users: [{ name: 'weir', user: options.token ? { token: options.token } : {} }],
    contexts: [{ name: 'weir', context: { cluster: 'weir', user: 'weir', namespace: options.namespace ?? 'default' } }],
    'current-context': 'weir',
    preferences: {},
  });
}
