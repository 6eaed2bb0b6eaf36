import { z } from 'zod';
import { objectMeta } from './meta.js';
import { backendObjectReference, backendWeight, hostnames, parentRefs } from './httproute.js';

/**
 * Gateway API's layer-4 routes (`gateway.networking.k8s.io/v1alpha2`), which Weir reads where Linkerd
 * does: parented to an EgressNetwork, they allow (or send to a Service) connections to destinations
 * outside the mesh. `TCPRoute` applies to every connection to its parent (and port); `TLSRoute` to those
 * whose server name is one of its `hostnames`.
 */

const l4BackendRef = backendObjectReference.and(z.looseObject({ weight: backendWeight }));

const l4Rule = z.looseObject({
  name: z.string().min(1).max(253).optional(),
  backendRefs: z.array(l4BackendRef).max(16).optional(),
});

export const tcpRouteSchema = z.looseObject({
  apiVersion: z.literal('gateway.networking.k8s.io/v1alpha2'),
  kind: z.literal('TCPRoute'),
  metadata: objectMeta,
  spec: z.looseObject({
    parentRefs: parentRefs.optional(),
    rules: z.array(l4Rule).min(1).max(16),
  }),
  status: z.looseObject({}).optional(),
});
export type TCPRoute = z.infer<typeof tcpRouteSchema>;

export const tlsRouteSchema = z.looseObject({
  apiVersion: z.literal('gateway.networking.k8s.io/v1alpha2'),
  kind: z.literal('TLSRoute'),
  metadata: objectMeta,
  spec: z.looseObject({
    parentRefs: parentRefs.optional(),
    hostnames: hostnames.optional(),
    rules: z.array(l4Rule).min(1).max(16),
  }),
  status: z.looseObject({}).optional(),
});
export type TLSRoute = z.infer<typeof tlsRouteSchema>;
