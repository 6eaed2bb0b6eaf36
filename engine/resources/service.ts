import { z } from 'zod';
import { objectMeta } from './meta.js';

export const servicePort = z.looseObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  appProtocol: z.string().optional(),
});
export type ServicePort = z.infer<typeof servicePort>;

export const serviceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMeta,
  spec: z.looseObject({
    selector: z.record(z.string(), z.string()).optional(),
    ports: z.array(servicePort).min(1),
    type: z.string().optional(),
    clusterIP: z.string().optional(),
  }),
});
export type Service = z.infer<typeof serviceSchema>;
