import { z } from 'zod';
import { objectMeta } from './meta.js';
import { policyRef } from './policy-refs.js';

const rate = z.looseObject({ requestsPerSecond: z.number().int().min(1) });

/**
 * Linkerd's `HTTPLocalRateLimitPolicy` (`policy.linkerd.io/v1alpha1`): request rates a Server's proxy
 * admits, per second: `total` over every client, `identity` per client identity (unauthenticated
 * clients share one bucket), and `overrides` with their own rate for the ServiceAccounts they name.
 * Past a limit the answer is 429 (gRPC: RESOURCE_EXHAUSTED).
 */
export const httpLocalRateLimitPolicySchema = z.looseObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('HTTPLocalRateLimitPolicy'),
  metadata: objectMeta,
  spec: z.looseObject({
    targetRef: policyRef(['Server']),
    total: rate.optional(),
    identity: rate.optional(),
    overrides: z
      .array(
        z.looseObject({
          requestsPerSecond: z.number().int().min(1),
          clientRefs: z.array(policyRef(['ServiceAccount'])).min(1),
        }),
      )
      .optional(),
  }),
});
export type HTTPLocalRateLimitPolicy = z.infer<typeof httpLocalRateLimitPolicySchema>;
