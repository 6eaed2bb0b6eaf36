import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { intOrStringPort, objectMeta, stringMap } from './meta.js';

const probe = z.looseObject({
  httpGet: z
    .looseObject({
      path: z.string().default('/'),
      port: intOrStringPort,
      scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
    })
    .optional(),
  tcpSocket: z.looseObject({ port: intOrStringPort }).optional(),
  grpc: z.looseObject({ port: z.number().int().min(1).max(65535), service: z.string().optional() }).optional(),
  exec: z.looseObject({ command: z.array(z.string()).optional() }).optional(),
  initialDelaySeconds: z.number().int().min(0).default(0),
  periodSeconds: z.number().int().min(1).default(10),
  timeoutSeconds: z.number().int().min(1).default(1),
  successThreshold: z.number().int().min(1).default(1),
  failureThreshold: z.number().int().min(1).default(3),
});
export type Probe = z.infer<typeof probe>;

/** A reference to one key of a ConfigMap or Secret (env `valueFrom`). */
const keyRef = z.looseObject({ name: z.string().min(1), key: z.string().min(1), optional: z.boolean().optional() });
/** A reference to a whole ConfigMap or Secret (`envFrom`). */
const objectRef = z.looseObject({ name: z.string().min(1), optional: z.boolean().optional() });
const keyToPath = z.array(z.looseObject({ key: z.string().min(1), path: z.string().min(1) }));

export const envVar = z.looseObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      configMapKeyRef: keyRef.optional(),
      secretKeyRef: keyRef.optional(),
      fieldRef: z.looseObject({ fieldPath: z.string() }).optional(),
      resourceFieldRef: z.looseObject({ resource: z.string() }).optional(),
    })
    .optional(),
});
export type EnvVar = z.infer<typeof envVar>;

export const container = z.looseObject({
  name: z.string().min(1),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVar).optional(),
  envFrom: z
    .array(
      z.looseObject({
        prefix: z.string().optional(),
        configMapRef: objectRef.optional(),
        secretRef: objectRef.optional(),
      }),
    )
    .optional(),
  ports: z
    .array(
      z.looseObject({
        name: z.string().max(15).optional(),
        containerPort: z.number().int().min(1).max(65535),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
      }),
    )
    .optional(),
  volumeMounts: z
    .array(z.looseObject({ name: z.string().min(1), mountPath: z.string().min(1), readOnly: z.boolean().optional() }))
    .optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  startupProbe: probe.optional(),
  resources: z.looseObject({}).optional(),
});
export type Container = z.infer<typeof container>;

/** Volumes as far as config tracking needs them: ConfigMap, Secret and projected sources. */
export const podVolume = z.looseObject({
  name: z.string().min(1),
  configMap: objectRef.extend({ items: keyToPath.optional() }).optional(),
  secret: z
    .looseObject({ secretName: z.string().min(1), items: keyToPath.optional(), optional: z.boolean().optional() })
    .optional(),
  projected: z
    .looseObject({
      sources: z
        .array(
          z.looseObject({
            configMap: objectRef.extend({ items: keyToPath.optional() }).optional(),
            secret: objectRef.extend({ items: keyToPath.optional() }).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
export type Volume = z.infer<typeof podVolume>;

export const podTemplate = z.looseObject({
  metadata: z
    .looseObject({
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    })
    .default({}),
  spec: z
    .looseObject({
      containers: z.array(container).min(1),
      initContainers: z.array(container).optional(),
      volumes: z.array(podVolume).optional(),
      terminationGracePeriodSeconds: z.number().int().min(0).optional(),
    })
    .superRefine((spec, ctx) => {
      const names = new Set<string>();
      const check = (list: 'containers' | 'initContainers') =>
        spec[list]?.forEach((c, i) => {
          if (names.has(c.name))
            fieldIssue(ctx, [list, i, 'name'], `duplicate container name ${JSON.stringify(c.name)}`);
          names.add(c.name);
        });
      check('containers');
      check('initContainers');
      const volumes = new Set<string>();
      spec.volumes?.forEach((v, i) => {
        if (volumes.has(v.name))
          fieldIssue(ctx, ['volumes', i, 'name'], `duplicate volume name ${JSON.stringify(v.name)}`);
        volumes.add(v.name);
      });
    }),
});
export type PodTemplate = z.infer<typeof podTemplate>;

export const labelSelector = z.looseObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(
      z.looseObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

/** Whether `labels` satisfy a label selector (matchLabels and matchExpressions, ANDed). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const value = l[e.key];
    const inValues = value !== undefined && (e.values ?? []).includes(value);
    const ok =
      e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

export const deploymentSchema = z.looseObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      replicas: z.number().int().min(0).default(1),
      selector: labelSelector,
      template: podTemplate,
      progressDeadlineSeconds: z.number().int().min(1).default(600),
      minReadySeconds: z.number().int().min(0).default(0),
      revisionHistoryLimit: z.number().int().min(0).optional(),
      paused: z.boolean().optional(),
      strategy: z
        .looseObject({
          type: z.enum(['RollingUpdate', 'Recreate']).optional(),
          rollingUpdate: z
            .looseObject({
              maxSurge: z
                .union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'a percentage like 25%')])
                .optional(),
              maxUnavailable: z
                .union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'a percentage like 25%')])
                .optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .superRefine((spec, ctx) => {
      const s = spec.selector;
      if (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0)
        return fieldIssue(ctx, ['selector'], 'expected matchLabels or matchExpressions: an empty selector is invalid');
      if (!selectorMatches(s, spec.template.metadata.labels)) {
        const want = Object.entries(s.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        fieldIssue(
          ctx,
          ['template', 'metadata', 'labels'],
          `must match spec.selector${want === '' ? '' : ` (${want})`}`,
        );
      }
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
