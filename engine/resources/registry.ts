import type { z } from 'zod';
import { canarySchema } from './canary.js';
import { deploymentSchema } from './deployment.js';
import { endpointSliceSchema } from './endpointslice.js';
import { httpRouteSchema } from './httproute.js';
import { podSchema } from './pod.js';
import { serviceSchema } from './service.js';

/** Everything Weir knows about a kind: its schema and where it lives on the Kubernetes REST API. */
export interface KindInfo {
  kind: string;
  group: string; // '' for core
  version: string;
  plural: string;
  namespaced: boolean;
  schema: z.ZodType;
}

export const kinds: Record<string, KindInfo> = {
  Service: { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, schema: serviceSchema },
  Pod: { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true, schema: podSchema },
  EndpointSlice: {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    namespaced: true,
    schema: endpointSliceSchema,
  },
  Deployment: {
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespaced: true,
    schema: deploymentSchema,
  },
  HTTPRoute: {
    kind: 'HTTPRoute',
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    namespaced: true,
    schema: httpRouteSchema,
  },
  Canary: {
    kind: 'Canary',
    group: 'flagger.app',
    version: 'v1beta1',
    plural: 'canaries',
    namespaced: true,
    schema: canarySchema,
  },
};

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return Object.values(kinds).find((k) => k.group === group && k.plural === plural);
}
