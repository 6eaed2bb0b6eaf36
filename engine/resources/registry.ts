import type { z } from 'zod';
import { alertProviderSchema } from './alertprovider.js';
import { canarySchema, canaryWarnings } from './canary.js';
import { configMapSchema, secretSchema } from './config.js';
import { deploymentSchema } from './deployment.js';
import { endpointSliceSchema, endpointSliceWarnings } from './endpointslice.js';
import { eventSchema } from './event.js';
import { grpcRouteSchema } from './grpcroute.js';
import { httpRouteSchema } from './httproute.js';
import type { FieldWarning } from './meta.js';
import { metricTemplateSchema, metricTemplateWarnings } from './metrictemplate.js';
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
  /** What a valid object asks for that Weir does not act on; paths as in errors (`spec.provider`). */
  warnings?: (object: unknown) => FieldWarning[];
}

function kind<S extends z.ZodType>(
  info: Omit<KindInfo, 'schema' | 'warnings' | 'namespaced'> & {
    schema: S;
    warnings?: (object: z.output<S>) => FieldWarning[];
  },
): KindInfo {
  const { warnings, ...rest } = info;
  return {
    ...rest,
    namespaced: true,
    ...(warnings ? { warnings: (o: unknown) => warnings(o as z.output<S>) } : {}),
  };
}

const GATEWAY = 'gateway.networking.k8s.io';
const FLAGGER = 'flagger.app';

export const kinds: Record<string, KindInfo> = {
  Service: kind({ kind: 'Service', group: '', version: 'v1', plural: 'services', schema: serviceSchema }),
  Pod: kind({ kind: 'Pod', group: '', version: 'v1', plural: 'pods', schema: podSchema }),
  ConfigMap: kind({ kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', schema: configMapSchema }),
  Secret: kind({ kind: 'Secret', group: '', version: 'v1', plural: 'secrets', schema: secretSchema }),
  Event: kind({ kind: 'Event', group: '', version: 'v1', plural: 'events', schema: eventSchema }),
  EndpointSlice: kind({
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    schema: endpointSliceSchema,
    warnings: endpointSliceWarnings,
  }),
  Deployment: kind({
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    schema: deploymentSchema,
  }),
  HTTPRoute: kind({ kind: 'HTTPRoute', group: GATEWAY, version: 'v1', plural: 'httproutes', schema: httpRouteSchema }),
  GRPCRoute: kind({ kind: 'GRPCRoute', group: GATEWAY, version: 'v1', plural: 'grpcroutes', schema: grpcRouteSchema }),
  Canary: kind({
    kind: 'Canary',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'canaries',
    schema: canarySchema,
    warnings: canaryWarnings,
  }),
  MetricTemplate: kind({
    kind: 'MetricTemplate',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'metrictemplates',
    schema: metricTemplateSchema,
    warnings: metricTemplateWarnings,
  }),
  AlertProvider: kind({
    kind: 'AlertProvider',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'alertproviders',
    schema: alertProviderSchema,
  }),
};

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return Object.values(kinds).find((k) => k.group === group && k.plural === plural);
}
