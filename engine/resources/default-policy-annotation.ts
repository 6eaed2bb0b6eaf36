import type { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { DEFAULT_POLICIES } from './server.js';

/** the annotations that set a namespace's or a workload's default inbound policy (the first that is set wins) */
export const DEFAULT_POLICY_ANNOTATIONS = [
  'config.linkerd.io/default-inbound-policy',
  'weir.io/default-inbound-policy',
];

/**
 * A default-inbound-policy annotation must name one of Linkerd's default policies: a Namespace, a
 * Deployment's pod template or a Pod that says something else is refused with the annotation's path
 * (`prefix` is where the annotations are: `['metadata', 'annotations']`).
 */
export function checkDefaultPolicyAnnotations(
  annotations: Record<string, string> | undefined,
  ctx: z.RefinementCtx,
  prefix: Array<string | number>,
): void {
  for (const key of DEFAULT_POLICY_ANNOTATIONS) {
    const v = annotations?.[key];
    if (v !== undefined && !(DEFAULT_POLICIES as readonly string[]).includes(v))
      fieldIssue(ctx, [...prefix, key], `expected one of ${DEFAULT_POLICIES.join(', ')}, got ${JSON.stringify(v)}`);
  }
}
