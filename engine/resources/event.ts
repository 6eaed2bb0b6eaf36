import { z } from 'zod';
import { objectMeta } from './meta.js';

/**
 * Core v1 Event, as far as Weir writes and reads them: the canary controller records Flagger's events
 * about a Canary (reason `Synced`, `involvedObject` the Canary) in the store, so that they survive a
 * restart and are listed at `/api/v1/namespaces/NS/events` as on a cluster.
 */
export const eventSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Event'),
  metadata: objectMeta,
  involvedObject: z.looseObject({
    apiVersion: z.string().optional(),
    kind: z.string().min(1),
    name: z.string().min(1),
    namespace: z.string().optional(),
    uid: z.string().optional(),
  }),
  type: z.enum(['Normal', 'Warning']).default('Normal'),
  reason: z.string().default(''),
  message: z.string().default(''),
  source: z.looseObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: z.string().optional(),
  lastTimestamp: z.string().optional(),
  count: z.number().int().min(0).optional(),
});
export type KubeEvent = z.infer<typeof eventSchema>;
