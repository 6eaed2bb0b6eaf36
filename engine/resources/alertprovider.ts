import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { objectMeta } from './meta.js';

/** Flagger's `flagger.app/v1beta1` AlertProvider (flagger.md 1.6). */

export const alertProviderTypes = ['slack', 'msteams', 'discord', 'rocket', 'gchat'] as const;
export type AlertProviderType = (typeof alertProviderTypes)[number];

export const alertProviderSchema = z.looseObject({
  apiVersion: z.literal('flagger.app/v1beta1'),
  kind: z.literal('AlertProvider'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      type: z.enum(alertProviderTypes),
      channel: z.string().default('general'),
      username: z.string().default('flagger'),
      /** the hook URL; or in `secretRef`'s Secret under key `address` (optional key `token`) */
      address: z.string().min(1).optional(),
      proxy: z.string().optional(),
      secretRef: z.looseObject({ name: z.string().min(1) }).optional(),
    })
    .superRefine((s, ctx) => {
      // CRD oneOf: [type, address] or [type, secretRef], exactly one branch.
      if ((s.address === undefined) === (s.secretRef === undefined))
        fieldIssue(
          ctx,
          [],
          `expected exactly one of address, secretRef, got ${s.address === undefined ? 'none' : 'address and secretRef'}`,
        );
    }),
  status: z.looseObject({}).optional(),
});
export type AlertProvider = z.infer<typeof alertProviderSchema>;
