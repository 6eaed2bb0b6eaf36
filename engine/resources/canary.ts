import { z } from 'zod';
import { goDuration, objectMeta } from './meta.js';
import { parentReference } from './httproute.js';

const crossRef = z.looseObject({ apiVersion: z.string().min(1), kind: z.string().min(1), name: z.string().min(1) });

/** Flagger: `^[0-9]+(m|s)` unanchored at the end. */
const flaggerInterval = z.string().regex(/^[0-9]+(m|s)/, 'an interval like 30s or 1m');

const stringMatch = z.looseObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  suffix: z.string().optional(),
  regex: z.string().optional(),
});

export const canaryMatch = z.looseObject({
  headers: z.record(z.string(), stringMatch).optional(),
  queryParams: z.record(z.string(), stringMatch).optional(),
  uri: stringMatch.optional(),
  method: stringMatch.optional(),
  sourceLabels: z.record(z.string(), z.string()).optional(),
});
export type CanaryMatch = z.infer<typeof canaryMatch>;

export const canaryMetric = z.looseObject({
  name: z.string().min(1),
  interval: flaggerInterval.default('1m'),
  threshold: z.number().optional(),
  thresholdRange: z.looseObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
  query: z.string().optional(),
  templateRef: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }).optional(),
  templateVariables: z.record(z.string(), z.string()).optional(),
});
export type CanaryMetric = z.infer<typeof canaryMetric>;

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
  type: z
    .union([z.enum(webhookTypes), z.literal('')])
    .default('rollout')
    .transform((t): WebhookType => (t === '' ? 'rollout' : t)),
  url: z.url(),
  timeout: flaggerInterval.optional(),
  retries: z.number().int().min(0).optional(),
  disableTLS: z.boolean().optional(),
  muteAlert: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type CanaryWebhook = z.infer<typeof canaryWebhook>;

export const canaryAlert = z.looseObject({
  name: z.string().min(1),
  severity: z.enum(['', 'info', 'warn', 'error']).default('info'),
  providerRef: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

export const canaryAnalysis = z.looseObject({
  interval: flaggerInterval,
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
  sessionAffinity: z
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
    .optional(),
  metrics: z.array(canaryMetric).optional(),
  webhooks: z.array(canaryWebhook).optional(),
  alerts: z.array(canaryAlert).optional(),
});
export type CanaryAnalysis = z.infer<typeof canaryAnalysis>;

export const canaryService = z.looseObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  portName: z.string().default('http'),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  appProtocol: z.string().optional(),
  portDiscovery: z.boolean().optional(),
  timeout: goDuration.optional(),
  backendTimeout: goDuration.optional(),
  gatewayRefs: z.array(parentReference).max(32).optional(),
  hosts: z.array(z.string()).optional(),
  match: z.array(z.looseObject({})).optional(),
  rewrite: z.looseObject({}).optional(),
  retries: z.looseObject({}).optional(),
  headers: z.looseObject({}).optional(),
  mirror: z.array(z.looseObject({})).optional(),
  apex: z.looseObject({}).optional(),
  primary: z.looseObject({}).optional(),
  canary: z.looseObject({}).optional(),
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
  phase: z.enum(canaryPhases).optional(),
  failedChecks: z.number().int().default(0),
  canaryWeight: z.number().int().default(0),
  iterations: z.number().int().default(0),
  trackedConfigs: z.record(z.string(), z.string()).optional(),
  lastAppliedSpec: z.string().optional(),
  lastPromotedSpec: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  conditions: z.array(canaryCondition).optional(),
});
export type CanaryStatus = z.infer<typeof canaryStatus>;

export const canarySchema = z.looseObject({
  apiVersion: z.literal('flagger.app/v1beta1'),
  kind: z.literal('Canary'),
  metadata: objectMeta,
  spec: z.looseObject({
    provider: z.string().optional(),
    metricsServer: z.string().optional(),
    targetRef: crossRef,
    autoscalerRef: crossRef.optional(),
    ingressRef: crossRef.optional(),
    routeRef: crossRef.optional(),
    upstreamRef: crossRef.optional(),
    service: canaryService,
    analysis: canaryAnalysis.optional(),
    canaryAnalysis: canaryAnalysis.optional(),
    progressDeadlineSeconds: z.number().int().min(0).default(600),
    skipAnalysis: z.boolean().default(false),
    revertOnDeletion: z.boolean().optional(),
    suspend: z.boolean().default(false),
  }),
  status: canaryStatus.optional(),
});
export type Canary = z.infer<typeof canarySchema>;
