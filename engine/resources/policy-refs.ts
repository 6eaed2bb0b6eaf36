import { z } from 'zod';
import { dnsLabel } from './meta.js';

/**
 * The references Linkerd's policy kinds (`policy.linkerd.io`) hold: a `targetRef` or an entry of
 * `requiredAuthenticationRefs`/`identityRefs`/`clientRefs`, with the group defaulted from the kind as
 * the policy controller does (core for Namespace and ServiceAccount, `policy.linkerd.io` otherwise).
 */
export const POLICY_GROUP = 'policy.linkerd.io';
export const POLICY_API_VERSIONS = ['policy.linkerd.io/v1alpha1', 'policy.linkerd.io/v1beta1'] as const;

const CORE_KINDS = new Set(['Namespace', 'ServiceAccount']);

/** the groups a kind may be named with */
function groupsOf(kind: string): string[] {
  if (CORE_KINDS.has(kind)) return ['', 'core'];
  if (kind === 'HTTPRoute') return [POLICY_GROUP, 'gateway.networking.k8s.io'];
  return [POLICY_GROUP];
}

/** `{group, kind, name, namespace}` restricted to `allowed` kinds; `name` optional where Linkerd allows it */
export function policyRef(allowed: readonly string[], nameRequired = true) {
  const allowedText = allowed.map((k) => JSON.stringify(k)).join(', ');
  return z
    .looseObject({
      group: z.string().optional(),
      kind: z.string().min(1),
      name: nameRequired ? z.string().min(1).max(253) : z.string().min(1).max(253).optional(),
      namespace: dnsLabel.optional(),
    })
    .superRefine((ref, ctx) => {
      if (!allowed.includes(ref.kind))
        return ctx.addIssue({
          code: 'custom',
          path: ['kind'],
          message: `expected one of ${allowedText}, got ${JSON.stringify(ref.kind)}`,
        });
      const groups = groupsOf(ref.kind);
      if (ref.group !== undefined && !groups.includes(ref.group))
        ctx.addIssue({
          code: 'custom',
          path: ['group'],
          message: `expected ${groups.map((g) => JSON.stringify(g)).join(' or ')} for kind ${ref.kind}, got ${JSON.stringify(ref.group)}`,
        });
    })
    .transform((ref) => ({
      ...ref,
      group: ref.group === 'core' ? '' : (ref.group ?? (CORE_KINDS.has(ref.kind) ? '' : POLICY_GROUP)),
    }));
}
export type PolicyRef = z.output<ReturnType<typeof policyRef>>;
