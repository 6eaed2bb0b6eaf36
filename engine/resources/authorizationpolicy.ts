import { z } from 'zod';
import { objectMeta } from './meta.js';
import { policyRef } from './policy-refs.js';

/**
 * Linkerd's `AuthorizationPolicy` (`policy.linkerd.io/v1alpha1`): lets the clients that satisfy every
 * one of `requiredAuthenticationRefs` (MeshTLSAuthentication, NetworkAuthentication, or a ServiceAccount
 * directly) reach its target: a Server, an HTTPRoute parented to a Server (only that route's requests),
 * or a Namespace (every Server of it). An empty list lets every client in.
 */
export const authorizationPolicySchema = z.looseObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('AuthorizationPolicy'),
  metadata: objectMeta,
  spec: z.looseObject({
    targetRef: policyRef(['Server', 'HTTPRoute', 'Namespace']),
    requiredAuthenticationRefs: z
      .array(policyRef(['MeshTLSAuthentication', 'NetworkAuthentication', 'ServiceAccount']))
      .default([]),
  }),
});
export type AuthorizationPolicy = z.infer<typeof authorizationPolicySchema>;
