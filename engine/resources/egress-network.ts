import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { objectMeta } from './meta.js';
import { cidr } from './networkauthentication.js';
import { inCidr, parseCidr } from '../policy/cidr.js';

/** `trafficPolicy`: what happens to traffic no route attached to the EgressNetwork describes */
export const EGRESS_TRAFFIC_POLICIES = ['Allow', 'Deny'] as const;
export type EgressTrafficPolicy = (typeof EGRESS_TRAFFIC_POLICIES)[number];

/**
 * Weir's annotation on an EgressNetwork: `"true"` puts it in audit mode (what it would deny is forwarded,
 * and counted and logged as a would-be denial).
 */
export const EGRESS_AUDIT_ANNOTATION = 'weir.io/audit';

const network = z.looseObject({ cidr, except: z.array(cidr).optional() }).superRefine((n, ctx) => {
  const net = parseCidr(n.cidr);
  (n.except ?? []).forEach((e, i) => {
    const ex = parseCidr(e);
    if (net === undefined || ex === undefined) return;
    if (!inCidr(ex[0], net) || ex[1] < net[1])
      fieldIssue(ctx, ['except', i], `${JSON.stringify(e)} is not inside ${JSON.stringify(n.cidr)}`);
  });
});

/**
 * Linkerd's `EgressNetwork` (`policy.linkerd.io/v1alpha1`, Linkerd 2.17): destinations outside the mesh
 * (`networks`, each a `cidr` minus its `except` ranges; left out: every address outside the mesh) that
 * meshed clients of its namespace (of every namespace, in the global egress namespace) reach, with the
 * policy for traffic that no route parented to it describes. `status.conditions` is kept as written.
 */
export const egressNetworkSchema = z.looseObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('EgressNetwork'),
  metadata: objectMeta.superRefine((m, ctx) => {
    const audit = m.annotations?.[EGRESS_AUDIT_ANNOTATION];
    if (audit !== undefined && audit !== 'true' && audit !== 'false')
      fieldIssue(
        ctx,
        ['annotations', EGRESS_AUDIT_ANNOTATION],
        `expected "true" or "false", got ${JSON.stringify(audit)}`,
      );
  }),
  spec: z.looseObject({
    networks: z.array(network).optional(),
    trafficPolicy: z.enum(EGRESS_TRAFFIC_POLICIES),
  }),
  status: z
    .looseObject({
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});
export type EgressNetwork = z.infer<typeof egressNetworkSchema>;
