import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { objectMeta } from './meta.js';
import { policyRef } from './policy-refs.js';

/** a mesh identity, `*` (any), or `*.suffix` (any identity ending so) */
const IDENTITY = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

/**
 * Linkerd's `MeshTLSAuthentication` (`policy.linkerd.io/v1alpha1`): clients proving one of `identities`
 * over mesh mTLS, or the identity of one of `identityRefs` (a ServiceAccount, or every ServiceAccount
 * of a Namespace; `name: "*"`... as Linkerd: a ref without a name means all of that kind). Exactly one
 * of the two lists.
 */
export const meshTLSAuthenticationSchema = z.looseObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('MeshTLSAuthentication'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      identities: z.array(z.string().regex(IDENTITY, 'an identity name, "*" or "*.suffix"')).min(1).optional(),
      identityRefs: z
        .array(policyRef(['ServiceAccount', 'Namespace'], false))
        .min(1)
        .optional(),
    })
    .superRefine((spec, ctx) => {
      if (spec.identities === undefined && spec.identityRefs === undefined)
        fieldIssue(ctx, ['identities'], 'required: identities or identityRefs');
      if (spec.identities !== undefined && spec.identityRefs !== undefined)
        fieldIssue(ctx, ['identityRefs'], 'identities and identityRefs are exclusive');
    }),
});
export type MeshTLSAuthentication = z.infer<typeof meshTLSAuthenticationSchema>;
