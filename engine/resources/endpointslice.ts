import { z } from 'zod';
import { objectMeta } from './meta.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const endpointSliceSchema = z.looseObject({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: objectMeta,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  endpoints: z
    .array(
      z.looseObject({
        addresses: z.array(z.string().min(1)).min(1).max(100),
        conditions: z
          .looseObject({
            ready: z.boolean().optional(),
            serving: z.boolean().optional(),
            terminating: z.boolean().optional(),
          })
          .optional(),
        hostname: z.string().optional(),
        nodeName: z.string().optional(),
        zone: z.string().optional(),
        targetRef: z
          .looseObject({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() })
          .optional(),
      }),
    )
    .max(1000)
    .default([]),
  ports: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        port: z.number().int().min(1).max(65535).optional(),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
        appProtocol: z.string().optional(),
      }),
    )
    .max(100)
    .default([]),
});
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;
