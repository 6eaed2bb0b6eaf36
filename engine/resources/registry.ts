import type { z } from 'zod';
import { alertProviderSchema } from './alertprovider.js';
import { canarySchema, canaryWarnings } from './canary.js';
import { configMapSchema, secretSchema } from './config.js';
import { deploymentSchema } from './deployment.js';
import { endpointSliceSchema, endpointSliceWarnings } from './endpointslice.js';
import { eventSchema } from './event.js';
import { checkDefaultPolicyAnnotations } from './default-policy-annotation.js';
import { checkFastRollbackAnnotations } from './fast-rollback-annotations.js';
import { genericSchema, wellKnownGenericKinds, type GenericKindSpec } from './generic.js';
import { grpcRouteSchema } from './grpcroute.js';
import { httpRouteSchema } from './httproute.js';
import type { FieldWarning } from './meta.js';
import { metricTemplateSchema, metricTemplateWarnings } from './metrictemplate.js';
import { podSchema } from './pod.js';
import { serviceSchema } from './service.js';
import { serverSchema, serverWarnings } from './server.js';
import { authorizationPolicySchema } from './authorizationpolicy.js';
import { meshTLSAuthenticationSchema } from './meshtlsauthentication.js';
import { networkAuthenticationSchema } from './networkauthentication.js';
import { httpLocalRateLimitPolicySchema } from './ratelimitpolicy.js';
import { egressNetworkSchema } from './egress-network.js';
import { tcpRouteSchema, tlsRouteSchema } from './l4-routes.js';
import { daemonSetSchema, statefulSetSchema } from './workloads.js';
import { horizontalPodAutoscalerSchema, hpaWarnings } from './hpa.js';

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
  /** false for kinds Weir stores and serves without acting on them (Namespace, ServiceAccount, HPA...) */
  interpreted: boolean;
  /** kubectl's short names (`svc`, `deploy`) */
  shortNames?: string[];
  /** columns of `kubectl get` beyond NAME (a CRD's additionalPrinterColumns); default: AGE */
  printerColumns?: PrinterColumn[];
  /** the `scale` subresource: where the replica counts live */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

/** A CRD's `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** a simple JSONPath: `.status.phase` */
  jsonPath: string;
  priority?: number;
  description?: string;
}

function kind<S extends z.ZodType>(
  info: Omit<KindInfo, 'schema' | 'warnings' | 'namespaced' | 'interpreted'> & {
    schema: S;
    warnings?: (object: z.output<S>) => FieldWarning[];
  },
): KindInfo {
  const { warnings, ...rest } = info;
  return {
    ...rest,
    namespaced: true,
    interpreted: true,
    ...(warnings ? { warnings: (o: unknown) => warnings(o as z.output<S>) } : {}),
  };
}

const GATEWAY = 'gateway.networking.k8s.io';
const FLAGGER = 'flagger.app';
const POLICY = 'policy.linkerd.io';

export const kinds: Record<string, KindInfo> = {
  Service: kind({
    kind: 'Service',
    group: '',
    version: 'v1',
    plural: 'services',
    schema: serviceSchema,
    shortNames: ['svc'],
  }),
  Pod: kind({ kind: 'Pod', group: '', version: 'v1', plural: 'pods', schema: podSchema, shortNames: ['po'] }),
  ConfigMap: kind({
    kind: 'ConfigMap',
    group: '',
    version: 'v1',
    plural: 'configmaps',
    schema: configMapSchema,
    shortNames: ['cm'],
  }),
  Secret: kind({ kind: 'Secret', group: '', version: 'v1', plural: 'secrets', schema: secretSchema }),
  Event: kind({ kind: 'Event', group: '', version: 'v1', plural: 'events', schema: eventSchema, shortNames: ['ev'] }),
  EndpointSlice: kind({
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    schema: endpointSliceSchema,
    shortNames: ['ep'],
    warnings: endpointSliceWarnings,
  }),
  Deployment: kind({
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    // a default-inbound-policy annotation of the pod template names a default policy
    schema: deploymentSchema.superRefine((d, ctx) =>
      checkDefaultPolicyAnnotations(d.spec.template.metadata.annotations, ctx, [
        'spec',
        'template',
        'metadata',
        'annotations',
      ]),
    ),
    shortNames: ['deploy'],
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.spec.selector',
    },
  }),
  DaemonSet: kind({
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    schema: daemonSetSchema,
    shortNames: ['ds'],
  }),
  StatefulSet: kind({
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    schema: statefulSetSchema,
    shortNames: ['sts'],
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.spec.selector',
    },
  }),
  HorizontalPodAutoscaler: kind({
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    schema: horizontalPodAutoscalerSchema,
    warnings: hpaWarnings,
    shortNames: ['hpa'],
    // kubectl's HPA columns as far as a plain JSONPath reaches (REFERENCE is the target's name, no TARGETS)
    printerColumns: [
      { name: 'Reference', type: 'string', jsonPath: '.spec.scaleTargetRef.name' },
      { name: 'MinPods', type: 'integer', jsonPath: '.spec.minReplicas' },
      { name: 'MaxPods', type: 'integer', jsonPath: '.spec.maxReplicas' },
      { name: 'Replicas', type: 'integer', jsonPath: '.status.currentReplicas' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  }),
  HTTPRoute: kind({ kind: 'HTTPRoute', group: GATEWAY, version: 'v1', plural: 'httproutes', schema: httpRouteSchema }),
  GRPCRoute: kind({ kind: 'GRPCRoute', group: GATEWAY, version: 'v1', plural: 'grpcroutes', schema: grpcRouteSchema }),
  Canary: kind({
    kind: 'Canary',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'canaries',
    // the weir.io/fast-rollback* annotations (Flagger ignores them) are checked here
    schema: canarySchema.superRefine((c, ctx) =>
      checkFastRollbackAnnotations(c.metadata.annotations, ctx, ['metadata', 'annotations']),
    ),
    warnings: canaryWarnings,
    shortNames: ['canary'],
    // Flagger's CRD (artifacts/flagger/crd.yaml)
    printerColumns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase' },
      { name: 'Weight', type: 'string', jsonPath: '.status.canaryWeight' },
      { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
      { name: 'FailedChecks', type: 'string', jsonPath: '.status.failedChecks', priority: 1 },
      { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1 },
      { name: 'Mirror', type: 'boolean', jsonPath: '.spec.analysis.mirror', priority: 1 },
      { name: 'StepWeight', type: 'string', jsonPath: '.spec.analysis.stepWeight', priority: 1 },
      { name: 'StepWeights', type: 'string', jsonPath: '.spec.analysis.stepWeights', priority: 1 },
      { name: 'MaxWeight', type: 'string', jsonPath: '.spec.analysis.maxWeight', priority: 1 },
      { name: 'LastTransitionTime', type: 'string', jsonPath: '.status.lastTransitionTime' },
    ],
  }),
  MetricTemplate: kind({
    kind: 'MetricTemplate',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'metrictemplates',
    schema: metricTemplateSchema,
    shortNames: ['mt'],
    warnings: metricTemplateWarnings,
  }),
  AlertProvider: kind({
    kind: 'AlertProvider',
    group: FLAGGER,
    version: 'v1beta1',
    plural: 'alertproviders',
    schema: alertProviderSchema,
  }),
  // Linkerd's inbound authorization kinds (engine/policy compiles them per workload port)
  Server: kind({
    kind: 'Server',
    group: POLICY,
    version: 'v1beta3',
    plural: 'servers',
    schema: serverSchema,
    warnings: serverWarnings,
    shortNames: ['srv'],
  }),
  AuthorizationPolicy: kind({
    kind: 'AuthorizationPolicy',
    group: POLICY,
    version: 'v1alpha1',
    plural: 'authorizationpolicies',
    schema: authorizationPolicySchema,
    shortNames: ['authzpolicy'],
  }),
  MeshTLSAuthentication: kind({
    kind: 'MeshTLSAuthentication',
    group: POLICY,
    version: 'v1alpha1',
    plural: 'meshtlsauthentications',
    schema: meshTLSAuthenticationSchema,
    shortNames: ['meshtlsauthn'],
  }),
  NetworkAuthentication: kind({
    kind: 'NetworkAuthentication',
    group: POLICY,
    version: 'v1alpha1',
    plural: 'networkauthentications',
    schema: networkAuthenticationSchema,
    shortNames: ['netauthn'],
  }),
  // stored as written, but its default-inbound-policy annotation is acted on (and checked)
  Namespace: {
    kind: 'Namespace',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    namespaced: false,
    interpreted: true,
    shortNames: ['ns'],
    schema: genericSchema('Namespace', false).superRefine((n, ctx) =>
      checkDefaultPolicyAnnotations(
        (n as { metadata: { annotations?: Record<string, string> } }).metadata.annotations,
        ctx,
        ['metadata', 'annotations'],
      ),
    ),
  },
  HTTPLocalRateLimitPolicy: kind({
    kind: 'HTTPLocalRateLimitPolicy',
    group: POLICY,
    version: 'v1alpha1',
    plural: 'httplocalratelimitpolicies',
    schema: httpLocalRateLimitPolicySchema,
  }),
  // egress (engine/policy/egress.ts): EgressNetwork, and the layer-4 routes that can be parented to one
  EgressNetwork: kind({
    kind: 'EgressNetwork',
    group: POLICY,
    version: 'v1alpha1',
    plural: 'egressnetworks',
    schema: egressNetworkSchema,
  }),
  TCPRoute: kind({
    kind: 'TCPRoute',
    group: GATEWAY,
    version: 'v1alpha2',
    plural: 'tcproutes',
    schema: tcpRouteSchema,
  }),
  TLSRoute: kind({
    kind: 'TLSRoute',
    group: GATEWAY,
    version: 'v1alpha2',
    plural: 'tlsroutes',
    schema: tlsRouteSchema,
  }),
};

/** A kind Weir keeps without interpreting it (see generic.ts). */
export function registerGenericKind(spec: GenericKindSpec): KindInfo {
  const existing = Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
  if (existing) return existing;
  const info: KindInfo = { ...spec, schema: genericSchema(spec.kind, spec.namespaced), interpreted: false };
  kinds[spec.kind] = info;
  return info;
}

for (const spec of wellKnownGenericKinds) registerGenericKind(spec);

/** The kinds Weir acts on, for messages. */
export function interpretedKinds(): string[] {
  return Object.values(kinds)
    .filter((k) => k.interpreted)
    .map((k) => k.kind)
    .sort();
}

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return Object.values(kinds).find((k) => k.group === group && k.plural === plural);
}
