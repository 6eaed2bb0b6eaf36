import { z } from 'zod';
import { objectMeta } from './meta.js';

/**
 * Pods are written by the local runtime (one per running instance) and read by discovery and the
 * mesh metrics provider. Annotations under `weir.dev/` carry what a cluster would learn otherwise:
 * the sidecar's inbound port and admin port.
 */
export const ANNOTATION_INBOUND_PORT = 'weir.dev/inbound-port';
export const ANNOTATION_ADMIN_PORT = 'weir.dev/admin-port';
export const ANNOTATION_APP_PORT = 'weir.dev/app-port';
/**
 * Where a pod's sidecar process listens, `127.0.0.1:PORT`: its inbound side and its admin port. A pod with a
 * sidecar process is meshed: its sidecar proves the identity of the pod's service account (mTLS).
 */
export const ANNOTATION_PROXY_INBOUND = 'weir.io/proxy-inbound';
export const ANNOTATION_PROXY_ADMIN = 'weir.io/proxy-admin';

export const podSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: objectMeta,
  spec: z
    .looseObject({ containers: z.array(z.looseObject({ name: z.string() })).default([]) })
    .default({ containers: [] }),
  status: z
    .looseObject({
      phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']).optional(),
      podIP: z.string().optional(),
      startTime: z.string().optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
      containerStatuses: z
        .array(z.looseObject({ name: z.string(), restartCount: z.number().int(), ready: z.boolean() }))
        .optional(),
    })
    .optional(),
});
export type Pod = z.infer<typeof podSchema>;

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
