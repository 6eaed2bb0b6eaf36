import { z } from 'zod';
import { inCidr, parseCidr } from '../policy/cidr.js';
import { fieldIssue } from './httproute.js';
import { describeValue, objectMeta } from './meta.js';

export const cidr = z.string().superRefine((s, ctx) => {
  if (parseCidr(s) === undefined)
    ctx.addIssue({ code: 'custom', message: `expected a CIDR like 10.0.0.0/8 or fd00::/8, got ${describeValue(s)}` });
});

/**
 * Linkerd's `NetworkAuthentication` (`policy.linkerd.io/v1alpha1`): clients whose address is in one of
 * `networks` (a `cidr` minus its `except` ranges), meshed or not.
 */
export const networkAuthenticationSchema = z.looseObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('NetworkAuthentication'),
  metadata: objectMeta,
  spec: z.looseObject({
    networks: z
      .array(
        z.looseObject({ cidr, except: z.array(cidr).optional() }).superRefine((n, ctx) => {
          const net = parseCidr(n.cidr);
          (n.except ?? []).forEach((e, i) => {
            const ex = parseCidr(e);
            if (net === undefined || ex === undefined) return;
            if (!inCidr(ex[0], net) || ex[1] < net[1])
              fieldIssue(ctx, ['except', i], `${JSON.stringify(e)} is not inside ${JSON.stringify(n.cidr)}`);
          });
        }),
      )
      .min(1),
  }),
});
export type NetworkAuthentication = z.infer<typeof networkAuthenticationSchema>;
