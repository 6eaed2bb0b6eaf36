import { readFileSync } from 'node:fs';
import type { ProviderConfig } from './types.js';

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where a provider reaching the Kubernetes API goes, and with which bearer token. */
export interface KubeApi {
  base: URL;
  headers: Record<string, string>;
}

/**
 * Flagger's providers that read the Kubernetes API (keptn, externalmetrics) use the controller's REST config.
 * Weir's: `spec.provider.address` (e.g. the Weir API URL), else the in-cluster config
 * (`KUBERNETES_SERVICE_HOST`/`_PORT` and the service account token); the Secret's `token`, when given,
 * is the bearer token.
 */
export function kubeApi(config: ProviderConfig): KubeApi {
  const env = config.env ?? process.env;
  let base: string;
  let token = config.credentials?.token;
  if (config.address) base = config.address;
  else if (env.KUBERNETES_SERVICE_HOST) {
    base = `https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
    if (token === undefined) {
      try {
        token = readFileSync(SA_TOKEN, 'utf8').trim();
      } catch {
        // no service account token: anonymous
      }
    }
  } else {
    throw new Error(
      `${config.type} needs a Kubernetes API: set spec.provider.address (outside a cluster there is no in-cluster config)`,
    );
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`${config.type} address ${base} is not a valid URL (spec.provider.address)`);
  }
  return { base: url, headers: token ? { authorization: `Bearer ${token}` } : {} };
}
