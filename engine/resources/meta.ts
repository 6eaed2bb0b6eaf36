import { z } from 'zod';

/** DNS-1123 label/subdomain-ish names as Kubernetes accepts them for most kinds. */
export const dnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a lowercase DNS subdomain name');

export const objectMeta = z.looseObject({
  name: dnsSubdomain,
  namespace: dnsSubdomain.default('default'),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** The part every resource shares. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/** Go-style durations as Flagger writes them: `30s`, `1m`, `1m30s`, `500ms`, `1h`. */
const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
export function parseDurationMs(value: string): number | undefined {
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(durationPart)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return total;
}

export const goDuration = z
  .string()
  .refine((v) => parseDurationMs(v) !== undefined, { message: 'a duration like 30s, 1m or 500ms' });

/** Gateway API GEP-2257 duration: 1-4 components of 1-5 digits with h|m|s|ms. `0s` disables. */
export const gatewayDuration = z
  .string()
  .regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, 'a Gateway API duration like 10s, 500ms or 1m30s');
