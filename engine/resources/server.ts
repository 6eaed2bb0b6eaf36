import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { labelSelector } from './deployment.js';
import { intOrStringPort, objectMeta, type FieldWarning } from './meta.js';

/**
 * Linkerd's `Server` (`policy.linkerd.io/v1beta3`): one port of the pods its `podSelector` selects, by
 * number or by the container port's name, with the protocol the proxy should expect there and the
 * policy for clients no AuthorizationPolicy lets in (`accessPolicy`, default `deny`).
 */

/** Linkerd's default inbound policies (`linkerd/app/inbound/src/policy/defaults.rs`) */
export const DEFAULT_POLICIES = [
  'all-unauthenticated',
  'all-authenticated',
  'cluster-authenticated',
  'cluster-unauthenticated',
  'deny',
  'audit',
] as const;
export type DefaultPolicyName = (typeof DEFAULT_POLICIES)[number];
export const defaultPolicyName = z.enum(DEFAULT_POLICIES);

export const PROXY_PROTOCOLS = ['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS'] as const;
export type ServerProxyProtocol = (typeof PROXY_PROTOCOLS)[number];

export const serverSchema = z.looseObject({
  apiVersion: z.enum(['policy.linkerd.io/v1beta1', 'policy.linkerd.io/v1beta2', 'policy.linkerd.io/v1beta3']),
  kind: z.literal('Server'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      podSelector: labelSelector.optional(),
      externalWorkloadSelector: labelSelector.optional(),
      port: intOrStringPort,
      proxyProtocol: z.enum(PROXY_PROTOCOLS).default('unknown'),
      accessPolicy: defaultPolicyName.default('deny'),
    })
    .superRefine((spec, ctx) => {
      if (spec.podSelector === undefined && spec.externalWorkloadSelector === undefined)
        fieldIssue(ctx, ['podSelector'], 'required: a podSelector (or externalWorkloadSelector)');
      if (spec.podSelector !== undefined && spec.externalWorkloadSelector !== undefined)
        fieldIssue(ctx, ['externalWorkloadSelector'], 'podSelector and externalWorkloadSelector are exclusive');
    }),
});
export type PolicyServer = z.infer<typeof serverSchema>;

/** What a valid Server asks for that Weir does not act on. */
export function serverWarnings(server: PolicyServer): FieldWarning[] {
  return server.spec.externalWorkloadSelector !== undefined
    ? [
        {
          path: 'spec.externalWorkloadSelector',
          message: 'Weir runs no ExternalWorkloads: this Server selects nothing (use podSelector)',
        },
      ]
    : [];
}
