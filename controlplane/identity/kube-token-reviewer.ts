import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isValidWorkload, type Workload } from './names.js';
import type { TokenReviewer } from './token-reviewer.js';

/** the audience a sidecar's projected service account token is minted for, as Linkerd's `identity.l5d.io` */
export const IDENTITY_AUDIENCE = 'identity.weir.io';

/**
 * Service account tokens checked by the Kubernetes API (a TokenReview), as Linkerd's identity validator:
 * the token must be authenticated for our audience and name a service account
 * (`system:serviceaccount:NS:SA`). Another user, another audience or an error is no workload; a failed
 * API call rejects.
 */
export class KubernetesTokenReviewer implements TokenReviewer {
  private readonly api: AuthenticationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly audience = IDENTITY_AUDIENCE,
  ) {
    this.api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  async review(token: string): Promise<Workload | undefined> {
    const review = await this.api.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, audiences: [this.audience] },
      },
    });
    const status = review.status;
    if (!status?.authenticated || status.error) return undefined;
    // an API server that is not audience aware answers without audiences: the token is then only good for it
    if (!status.audiences?.includes(this.audience)) return undefined;
    return serviceAccountOf(status.user?.username ?? '');
  }
}

/** `system:serviceaccount:NS:SA` -> its workload; any other user is none */
export function serviceAccountOf(username: string): Workload | undefined {
  const parts = username.split(':');
  if (parts.length !== 4 || parts[0] !== 'system' || parts[1] !== 'serviceaccount') return undefined;
  const w = { namespace: parts[2]!, serviceAccount: parts[3]! };
  return isValidWorkload(w) ? w : undefined;
}
