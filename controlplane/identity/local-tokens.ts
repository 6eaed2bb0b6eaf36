import { createHash, randomBytes } from 'node:crypto';
import type { Workload } from './names.js';
import type { TokenReviewer } from './token-reviewer.js';

/**
 * Tokens of the local runtime, the stand-in for projected service account tokens: the runtime issues one
 * random token per pod for its (namespace, service account), hands it to the pod's sidecar, and revokes it
 * when the pod goes. Only a hash of each token is kept.
 */
export class LocalTokens implements TokenReviewer {
  private readonly byHash = new Map<string, Workload>();

  /** a new token proving `workload` */
  issue(workload: Workload): string {
    const token = randomBytes(32).toString('base64url');
    this.byHash.set(hash(token), { namespace: workload.namespace, serviceAccount: workload.serviceAccount });
    return token;
  }

  /** the token proves nothing from now on; true when it was known */
  revoke(token: string): boolean {
    return this.byHash.delete(hash(token));
  }

  async review(token: string): Promise<Workload | undefined> {
    const w = this.byHash.get(hash(token));
    return w && { ...w };
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
