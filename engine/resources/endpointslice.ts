import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { objectMeta, type FieldWarning } from './meta.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;
const FQDN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const endpointSliceSchema = z
  .looseObject({
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
          name: z.string().max(63).optional(),
          port: z.number().int().min(1).max(65535).optional(),
          protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
          appProtocol: z.string().optional(),
        }),
      )
      .max(100)
      .default([]),
  })
  .superRefine((slice, ctx) => {
    const [pattern, what] =
      slice.addressType === 'IPv4'
        ? [IPV4, 'an IPv4 address']
        : slice.addressType === 'IPv6'
          ? [IPV6, 'an IPv6 address']
          : [FQDN, 'a lowercase DNS name'];
    slice.endpoints.forEach((e, i) =>
      e.addresses.forEach((a, j) => {
        const ok = pattern.test(a) && (slice.addressType !== 'IPv6' || a.includes(':'));
        if (!ok)
          fieldIssue(
            ctx,
            ['endpoints', i, 'addresses', j],
            `expected ${what} (addressType ${slice.addressType}), got "${a}"`,
          );
      }),
    );
  });
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;

export function endpointSliceWarnings(slice: EndpointSlice): FieldWarning[] {
  if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== undefined) return [];
  return [
    {
      path: 'metadata.labels',
      message: `no "${SERVICE_NAME_LABEL}" label: this EndpointSlice belongs to no Service and is not used`,
    },
  ];
}
