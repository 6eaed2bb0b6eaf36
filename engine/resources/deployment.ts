import { z } from 'zod';
import { objectMeta } from './meta.js';

const probe = z.looseObject({
  httpGet: z
    .looseObject({
      path: z.string().default('/'),
      port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]),
      scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
    })
    .optional(),
  tcpSocket: z.looseObject({ port: z.union([z.number().int(), z.string()]) }).optional(),
  initialDelaySeconds: z.number().int().min(0).default(0),
  periodSeconds: z.number().int().min(1).default(10),
  timeoutSeconds: z.number().int().min(1).default(1),
  successThreshold: z.number().int().min(1).default(1),
  failureThreshold: z.number().int().min(1).default(3),
});
export type Probe = z.infer<typeof probe>;

export const container = z.looseObject({
  name: z.string().min(1),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        value: z.string().optional(),
        valueFrom: z.looseObject({}).optional(),
      }),
    )
    .optional(),
  ports: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        containerPort: z.number().int().min(1).max(65535),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
      }),
    )
    .optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
});
export type Container = z.infer<typeof container>;

export const podTemplate = z.looseObject({
  metadata: z
    .looseObject({
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .default({}),
  spec: z.looseObject({
    containers: z.array(container).min(1),
    terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  }),
});
export type PodTemplate = z.infer<typeof podTemplate>;

export const deploymentSchema = z.looseObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: objectMeta,
  spec: z.looseObject({
    replicas: z.number().int().min(0).default(1),
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()).optional() }),
    template: podTemplate,
    progressDeadlineSeconds: z.number().int().min(1).default(600),
    minReadySeconds: z.number().int().min(0).default(0),
    strategy: z.looseObject({}).optional(),
  }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});
export type Deployment = z.infer<typeof deploymentSchema>;
