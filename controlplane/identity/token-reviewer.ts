import type { Workload } from './names.js';

/**
 * Who a token proves to be. One backend per file: the local runtime's tokens (local-tokens.ts), Kubernetes'
 * TokenReview of service account tokens (kube-token-reviewer.ts).
 * Resolves undefined for a token that proves no workload; rejects only when the review itself failed.
 */
export interface TokenReviewer {
  review(token: string): Promise<Workload | undefined>;
}
