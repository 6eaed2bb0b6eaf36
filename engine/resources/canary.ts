import { z } from 'zod';
import { checkReleaseMetadata } from './canary-release.js';
import { mirrorDiffAnnotationProblem } from '../mirror-diff/config.js';
import { fieldIssue, backendObjectReference, parentReference } from './httproute.js';
import { grpcRouteWarnings } from './canary-grpc-warnings.js';
import { fastRollbackWarnings } from './fast-rollback-annotations.js';
import { goDuration, intOrStringPort, objectMeta, stringMap, type FieldWarning } from './meta.js';
import { isComparativeMetric, parseCompareSettings } from '../analysis/compare-settings.js';

/**
 * Flagger's `flagger.app/v1beta1` Canary (flagger.md 1.1-1.4): every field of the CRD, its `oneOf` and the
 * controller-side checks. Anything Flagger accepts is accepted, including providers and targets Weir does
 * not act on; `canaryWarnings` names those.
 */

function crossRef<const K extends readonly [string, ...string[]]>(kinds: K) {
  return z.looseObject({ apiVersion: z.string().min(1), kind: z.enum(kinds), name: z.string().min(1) });
}

/** Flagger's `Deployment`, `DaemonSet` and `Service`, and `StatefulSet` (a Weir addition, Flagger #410) */
export const targetKinds = ['Deployment', 'DaemonSet', 'StatefulSet', 'Service'] as const;
export const autoscalerKinds = ['HorizontalPodAutoscaler', 'ScaledObject'] as const;

export const canaryProviders = [
  'apisix',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'gloo',
  'istio',
  'knative',
  'kubernetes',
  'kuma',
  'linkerd',
  'nginx',
  'osm',
  'skipper',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'traefik',
] as const;
export type CanaryProvider = (typeof canaryProviders)[number];

/** Providers whose meaning Weir implements itself (absent = Weir's mesh). */
export const weirProviders: readonly string[] = ['linkerd', 'gatewayapi:v1', 'gatewayapi:v1beta1'];

/**
 * Istio-style string match `{exact|prefix|suffix|regex}`. `required`: exactly one key (Flagger's
 * `analysis.match[].headers`); otherwise at most one.
 */
function stringMatchOf(keys: readonly string[], required: boolean) {
  return z
    .looseObject({
      exact: z.string().optional(),
      prefix: z.string().optional(),
      suffix: z.string().optional(),
      regex: z.string().optional(),
    })
    .superRefine((m, ctx) => {
      const allowed = new Set(keys);
      const set = ['exact', 'prefix', 'suffix', 'regex'].filter((k) => m[k] !== undefined);
      const foreign = set.filter((k) => !allowed.has(k));
      const one = `${required ? 'exactly' : 'at most'} one of ${keys.join(', ')}`;
      if (foreign.length > 0) fieldIssue(ctx, [foreign[0] ?? ''], `not supported here: expected ${one}`);
      else if (set.length > 1 || (required && set.length === 0))
        fieldIssue(ctx, [], `expected ${one}, got ${set.length === 0 ? 'none' : set.join(' and ')}`);
    });
}
const headerStringMatch = stringMatchOf(['exact', 'prefix', 'suffix', 'regex'], true);
const optionalStringMatch = stringMatchOf(['exact', 'prefix', 'regex'], false);

export const canaryMatch = z.looseObject({
  headers: z.record(z.string(), headerStringMatch).optional(),
  queryParams: z.record(z.string(), optionalStringMatch).optional(),
  uri: optionalStringMatch.optional(),
  method: optionalStringMatch.optional(),
  sourceLabels: stringMap.optional(),
});
export type CanaryMatch = z.infer<typeof canaryMatch>;

/** Istio HTTPMatchRequest as `spec.service.match` carries it. */
export const serviceMatch = z.looseObject({
  name: z.string().optional(),
  uri: optionalStringMatch.optional(),
  scheme: optionalStringMatch.optional(),
  method: optionalStringMatch.optional(),
  authority: optionalStringMatch.optional(),
  headers: z.record(z.string(), optionalStringMatch).optional(),
  queryParams: z.record(z.string(), optionalStringMatch).optional(),
  withoutHeaders: z.record(z.string(), optionalStringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  port: z.number().int().optional(),
  sourceLabels: stringMap.optional(),
  sourceNamespace: z.string().optional(),
  gateways: z.array(z.string()).optional(),
});
export type ServiceMatch = z.infer<typeof serviceMatch>;

export const canaryMetric = z
  .looseObject({
    name: z.string().min(1),
    interval: goDuration.default('1m'),
    threshold: z.number().optional(),
    thresholdRange: z.looseObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
    query: z.string().optional(),
    templateRef: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }).optional(),
    templateVariables: stringMap.optional(),
  })
  .superRefine((m, ctx) => {
    // Weir's comparative metrics (docs/compare.md): settings in `query`, no template
    if (!isComparativeMetric(m.name)) return;
    try {
      parseCompareSettings(m.name, m.query);
    } catch (err) {
      fieldIssue(ctx, ['query'], `${m.name} settings: ${(err as Error).message}`);
    }
    if (m.templateRef !== undefined)
      fieldIssue(ctx, ['templateRef'], `${m.name} is computed by Weir from the sidecars: it takes no template`);
  });
export type CanaryMetric = z.infer<typeof canaryMetric>;

/**
 * Metrics computed without a template: Flagger's (`request-success-rate` %, `request-duration` ms) and
 * Weir's `mirror-diff-rate` (% of compared mirrored requests that differed, docs/mirror-diff.md).
 */
export const builtinMetrics: readonly string[] = ['request-success-rate', 'request-duration', 'mirror-diff-rate'];

export const webhookTypes = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;
export type WebhookType = (typeof webhookTypes)[number];

export const canaryWebhook = z.looseObject({
  name: z.string().min(1),
  /** `""` and absent both mean `rollout`. */
  type: z
    .enum(['', ...webhookTypes])
    .default('rollout')
    .transform((t): WebhookType => (t === '' ? 'rollout' : t)),
  url: z.url(),
  timeout: goDuration.optional(),
  retries: z.number().int().min(0).optional(),
  disableTLS: z.boolean().optional(),
  muteAlert: z.boolean().optional(),
  metadata: stringMap.optional(),
});
export type CanaryWebhook = z.infer<typeof canaryWebhook>;

export const alertSeverities = ['info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

export const canaryAlert = z.looseObject({
  name: z.string().min(1),
  /**
   * Empty or absent severity is `info`. Weir differs from Flagger here on purpose: Flagger's CRD says the
   * default is info but its notifier matches nothing for `""`.
   */
  severity: z
    .enum(['', ...alertSeverities])
    .default('info')
    .transform((s): AlertSeverity => (s === '' ? 'info' : s)),
  providerRef: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});
export type CanaryAlert = z.infer<typeof canaryAlert>;

export const sessionAffinity = z
  .looseObject({
    cookieName: z.string().min(1),
    primaryCookieName: z.string().optional(),
    maxAge: z.number().int().min(0).default(86400),
    domain: z.string().optional(),
    httpOnly: z.boolean().optional(),
    partitioned: z.boolean().optional(),
    path: z.string().optional(),
    sameSite: z.enum(['Strict', 'Lax', 'None']).optional(),
    secure: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.primaryCookieName !== undefined && s.primaryCookieName === s.cookieName)
      fieldIssue(ctx, ['primaryCookieName'], `must differ from cookieName (${JSON.stringify(s.cookieName)})`);
  });
export type SessionAffinity = z.infer<typeof sessionAffinity>;

/** The three strategies' discriminating fields; Flagger's CRD `oneOf` wants exactly one of them. */
const strategyFields = ['iterations', 'stepWeight', 'stepWeights'] as const;

export const canaryAnalysis = z
  .looseObject({
    interval: goDuration,
    threshold: z.number().int().min(0),
    iterations: z.number().int().min(0).optional(),
    maxWeight: z.number().int().min(0).max(100).optional(),
    stepWeight: z.number().int().min(0).max(100).optional(),
    stepWeights: z.array(z.number().int().min(0)).min(1).optional(),
    stepWeightPromotion: z.number().int().min(0).max(100).optional(),
    mirror: z.boolean().optional(),
    mirrorWeight: z.number().int().min(0).max(100).optional(),
    primaryReadyThreshold: z.number().int().min(0).max(100).optional(),
    canaryReadyThreshold: z.number().int().min(0).max(100).optional(),
    match: z.array(canaryMatch).optional(),
    sessionAffinity: sessionAffinity.optional(),
    metrics: z.array(canaryMetric).optional(),
    webhooks: z.array(canaryWebhook).optional(),
    alerts: z.array(canaryAlert).optional(),
  })
  .superRefine((a, ctx) => {
    const set = strategyFields.filter((k) => a[k] !== undefined);
    if (set.length !== 1)
      fieldIssue(
        ctx,
        [],
        `expected exactly one of iterations, stepWeight, stepWeights, got ${set.length === 0 ? 'none' : set.join(' and ')}`,
      );
  });
export type CanaryAnalysis = z.infer<typeof canaryAnalysis>;

const serviceMetadata = z.looseObject({ labels: stringMap.optional(), annotations: stringMap.optional() });

const headerOperations = z.looseObject({
  add: stringMap.optional(),
  set: stringMap.optional(),
  remove: z.array(z.string()).optional(),
});

/**
 * One port of `service.ports`, the explicit multi-port form of Flagger's open PR #1809 (issues #927, #1543):
 * the generated Services carry exactly these ports, and each is routed on its own (an HTTPRoute, or a
 * GRPCRoute where `appProtocol` is `grpc`).
 */
export const canaryServicePort = z.looseObject({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label (lower case letters, digits and -)')
    .max(15),
  port: z.number().int().min(1).max(65535),
  targetPort: intOrStringPort.optional(),
  protocol: z.enum(['TCP']).default('TCP'),
  appProtocol: z.string().optional(),
});
export type CanaryServicePort = z.infer<typeof canaryServicePort>;

export const canaryService = z
  .looseObject({
    name: z.string().optional(),
    port: z.number().int().min(1).max(65535),
    portName: z.string().default('http'),
    targetPort: intOrStringPort.optional(),
    appProtocol: z.string().optional(),
    trafficDistribution: z.enum(['PreferClose', 'PreferSameZone', 'PreferSameNode']).optional(),
    portDiscovery: z.boolean().optional(),
    ports: z
      .array(canaryServicePort)
      .min(1)
      .max(16)
      .optional()
      .superRefine((ports, ctx) => {
        const names = new Set<string>();
        const numbers = new Set<number>();
        ports?.forEach((p, i) => {
          if (names.has(p.name)) fieldIssue(ctx, [i, 'name'], `duplicate port name ${JSON.stringify(p.name)}`);
          if (numbers.has(p.port)) fieldIssue(ctx, [i, 'port'], `duplicate port ${p.port}`);
          names.add(p.name);
          numbers.add(p.port);
        });
      }),
    headless: z.boolean().optional(),
    timeout: goDuration.optional(),
    backendTimeout: goDuration.optional(),
    meshName: z.string().optional(),
    backends: z.array(z.string()).optional(),
    gateways: z.array(z.string()).optional(),
    gatewayRefs: z.array(parentReference).max(32).optional(),
    hosts: z.array(z.string()).optional(),
    delegation: z.boolean().optional(),
    trafficPolicy: z
      .looseObject({
        connectionPool: z.looseObject({}).optional(),
        loadBalancer: z.looseObject({}).optional(),
        outlierDetection: z.looseObject({}).optional(),
        tls: z.looseObject({ mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional() }).optional(),
      })
      .optional(),
    match: z.array(serviceMatch).optional(),
    rewrite: z
      .looseObject({ uri: z.string().optional(), authority: z.string().optional(), type: z.string().optional() })
      .optional(),
    retries: z
      .looseObject({
        attempts: z.number().int().optional(),
        perTryTimeout: z.string().optional(),
        retryOn: z.string().optional(),
      })
      .optional(),
    headers: z.looseObject({ request: headerOperations.optional(), response: headerOperations.optional() }).optional(),
    mirror: z.array(z.looseObject({ backendRef: backendObjectReference })).optional(),
    corsPolicy: z
      .looseObject({
        allowCredentials: z.boolean().optional(),
        allowHeaders: z.array(z.string()).optional(),
        allowMethods: z.array(z.string()).optional(),
        allowOrigin: z.array(z.string()).optional(),
        allowOrigins: z.array(stringMatchOf(['exact', 'prefix', 'regex'], true)).optional(),
        exposeHeaders: z.array(z.string()).optional(),
        maxAge: z.string().optional(),
      })
      .optional(),
    apex: serviceMetadata.optional(),
    primary: serviceMetadata.optional(),
    canary: serviceMetadata.optional(),
    unmanagedMetadata: z
      .looseObject({ annotations: z.array(z.string()).optional(), labels: z.array(z.string()).optional() })
      .optional(),
  })
  .superRefine((svc, ctx) => {
    if (svc.ports !== undefined && !svc.ports.some((p) => p.port === svc.port))
      fieldIssue(
        ctx,
        ['port'],
        `must be one of ports[].port (${svc.ports.map((p) => p.port).join(', ')}): it names the route the weights are read from`,
      );
  });
export type CanaryService = z.infer<typeof canaryService>;

export const canaryPhases = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type CanaryPhase = (typeof canaryPhases)[number];

export const canaryCondition = z.looseObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastUpdateTime: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type CanaryCondition = z.infer<typeof canaryCondition>;

export const canaryStatus = z.looseObject({
  /** `""` (allowed by the CRD) reads as no phase yet. */
  phase: z
    .enum(['', ...canaryPhases])
    .optional()
    .transform((p): CanaryPhase | undefined => (p === '' ? undefined : p)),
  failedChecks: z.number().int().default(0),
  canaryWeight: z.number().int().default(0),
  iterations: z.number().int().default(0),
  trackedConfigs: stringMap.optional(),
  lastAppliedSpec: z.string().optional(),
  lastPromotedSpec: z.string().optional(),
  lastTrackedRevision: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  sessionAffinityCookie: z.string().optional(),
  primarySessionAffinityCookie: z.string().optional(),
  previousSessionAffinityCookie: z.string().optional(),
  conditions: z.array(canaryCondition).optional(),
});
export type CanaryStatus = z.infer<typeof canaryStatus>;

const isKnative = (ref: { apiVersion: string; kind: string }) =>
  ref.kind === 'Service' && ref.apiVersion.startsWith('serving.knative.dev/');

export const canarySpec = z
  .looseObject({
    provider: z.enum(canaryProviders).optional(),
    metricsServer: z.string().optional(),
    targetRef: crossRef(targetKinds),
    autoscalerRef: crossRef(autoscalerKinds)
      .extend({
        primaryScalerQueries: stringMap.optional(),
        primaryScalerReplicas: z
          .looseObject({
            minReplicas: z.number().int().min(1).optional(),
            maxReplicas: z.number().int().min(1).optional(),
          })
          .optional(),
      })
      .optional(),
    ingressRef: crossRef(['Ingress']).optional(),
    routeRef: crossRef(['ApisixRoute']).optional(),
    upstreamRef: crossRef(['Upstream']).extend({ namespace: z.string().optional() }).optional(),
    service: canaryService,
    analysis: canaryAnalysis.optional(),
    /** Deprecated alias of `analysis`; copied into `analysis` when only it is given. */
    canaryAnalysis: canaryAnalysis.optional(),
    progressDeadlineSeconds: z.number().int().min(0).default(600),
    skipAnalysis: z.boolean().default(false),
    revertOnDeletion: z.boolean().optional(),
    suspend: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if (spec.analysis === undefined && spec.canaryAnalysis === undefined)
      fieldIssue(ctx, ['analysis'], 'required: expected an object (or the deprecated canaryAnalysis)');
    // Controller-side validation (flagger.md 1.4).
    const knativeTarget = isKnative(spec.targetRef);
    if (knativeTarget && spec.provider !== 'knative')
      fieldIssue(ctx, ['provider'], 'a Knative Service target needs provider "knative"');
    if (spec.provider === 'knative' && !knativeTarget)
      fieldIssue(
        ctx,
        ['targetRef'],
        'provider "knative" needs a Knative Service target (apiVersion serving.knative.dev/v1)',
      );
    if (knativeTarget && spec.autoscalerRef !== undefined)
      fieldIssue(ctx, ['autoscalerRef'], 'not supported with a Knative Service target');
  })
  .transform((spec) => ({ ...spec, analysis: spec.analysis ?? spec.canaryAnalysis }));
export type CanarySpec = z.infer<typeof canarySpec>;

export const canarySchema = z
  .looseObject({
    apiVersion: z.literal('flagger.app/v1beta1'),
    kind: z.literal('Canary'),
    metadata: objectMeta.superRefine(checkReleaseMetadata),
    spec: canarySpec,
    status: canaryStatus.optional(),
  })
  .superRefine((c, ctx) => {
    // Weir's mirror-diff annotations (engine/mirror-diff/config.ts), checked here at the edge
    const problem = mirrorDiffAnnotationProblem(c.metadata.annotations);
    if (problem !== undefined) fieldIssue(ctx, ['metadata', 'annotations', problem.annotation], problem.message);
  });
export type Canary = z.infer<typeof canarySchema>;

const compat = 'is accepted for Flagger compatibility but';

/** What a valid Canary asks for that Weir will not do. */
export function canaryWarnings(canary: Canary): FieldWarning[] {
  const out: FieldWarning[] = [];
  const { spec } = canary;
  if (spec.provider !== undefined && !weirProviders.includes(spec.provider))
    out.push({ path: 'spec.provider', message: `"${spec.provider}" ${compat} Weir routes with its own mesh` });
  if (isKnative(spec.targetRef))
    out.push({
      path: 'spec.targetRef.kind',
      message: `a Knative Service target ${compat} Weir rolls out Deployments, DaemonSets, StatefulSets and Services`,
    });
  else if (spec.targetRef.kind === 'StatefulSet')
    out.push({
      path: 'spec.targetRef.kind',
      message: "StatefulSet is a Weir addition: Flagger's Canary CRD on a cluster refuses it",
    });
  if (spec.autoscalerRef !== undefined && spec.autoscalerRef.kind !== 'HorizontalPodAutoscaler')
    out.push({
      path: 'spec.autoscalerRef',
      message: `${spec.autoscalerRef.kind} "${spec.autoscalerRef.name}" ${compat} Weir manages HorizontalPodAutoscalers only`,
    });
  if (spec.autoscalerRef !== undefined && spec.targetRef.kind !== 'Deployment' && spec.targetRef.kind !== 'StatefulSet')
    out.push({
      path: 'spec.autoscalerRef',
      message: `${compat} a ${spec.targetRef.kind} target has no replicas to scale: it is not used`,
    });
  for (const ref of ['ingressRef', 'routeRef', 'upstreamRef'] as const) {
    if (spec[ref] !== undefined) out.push({ path: `spec.${ref}`, message: `${compat} Weir does not use it` });
  }
  // what Flagger's Gateway API router does not use either (Istio/App Mesh fields), and what Weir cannot do yet
  const svc = spec.service;
  for (const field of ['retries', 'trafficPolicy', 'gateways', 'meshName', 'backends', 'delegation'] as const) {
    if (svc[field] !== undefined)
      out.push({
        path: `spec.service.${field}`,
        message: `${compat} is not used on the Gateway API (Flagger reads it for Istio or App Mesh only)`,
      });
  }
  if (svc.corsPolicy?.allowOrigins !== undefined)
    out.push({
      path: 'spec.service.corsPolicy.allowOrigins',
      message: `${compat} the Gateway API CORS filter takes plain origins: use corsPolicy.allowOrigin`,
    });
  out.push(...grpcRouteWarnings(canary));
  out.push(...fastRollbackWarnings(canary));
  const fromAlias = spec.canaryAnalysis !== undefined && spec.analysis === spec.canaryAnalysis;
  if (fromAlias)
    out.push({ path: 'spec.canaryAnalysis', message: 'is deprecated: it is read as spec.analysis, rename it' });
  const where = fromAlias ? 'canaryAnalysis' : 'analysis';
  spec.analysis?.metrics?.forEach((m, i) => {
    if (
      !builtinMetrics.includes(m.name) &&
      !isComparativeMetric(m.name) &&
      m.query === undefined &&
      m.templateRef === undefined
    )
      out.push({
        path: `spec.${where}.metrics[${i}]`,
        message: `"${m.name}" is not a builtin metric and has neither query nor templateRef: its check will fail`,
      });
    if (isComparativeMetric(m.name) && (m.threshold !== undefined || m.thresholdRange !== undefined))
      out.push({
        path: `spec.${where}.metrics[${i}]`,
        message: `${m.name} decides by its sequential test (effect, alpha, min in query): threshold and thresholdRange are not used`,
      });
  });
  return out;
}
