import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { objectMeta } from './meta.js';

/**
 * `autoscaling/v2` HorizontalPodAutoscaler. Every metric type of the API is accepted; the local runtime
 * acts on `Resource` metrics of `cpu` with a `Utilization` (or `AverageValue`) target, and says so for the
 * others (`hpaWarnings`).
 */

const quantity = z.union([z.string().regex(/^[0-9.]+[a-zA-Z]*$/, 'a quantity like 500m or 1'), z.number()]);

const metricTarget = z.looseObject({
  type: z.enum(['Utilization', 'Value', 'AverageValue']),
  averageUtilization: z.number().int().min(1).optional(),
  averageValue: quantity.optional(),
  value: quantity.optional(),
});

const metricSpec = z.looseObject({
  type: z.enum(['Resource', 'ContainerResource', 'Pods', 'Object', 'External']),
  resource: z.looseObject({ name: z.string().min(1), target: metricTarget }).optional(),
  containerResource: z
    .looseObject({ name: z.string().min(1), container: z.string().min(1), target: metricTarget })
    .optional(),
  pods: z.looseObject({}).optional(),
  object: z.looseObject({}).optional(),
  external: z.looseObject({}).optional(),
});
export type HPAMetricSpec = z.infer<typeof metricSpec>;

const scalingRules = z.looseObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z
    .array(
      z.looseObject({
        type: z.enum(['Pods', 'Percent']),
        value: z.number().int().min(1),
        periodSeconds: z.number().int().min(1).max(1800),
      }),
    )
    .optional(),
});

export const horizontalPodAutoscalerSchema = z.looseObject({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      scaleTargetRef: z.looseObject({
        apiVersion: z.string().min(1).optional(),
        kind: z.string().min(1),
        name: z.string().min(1),
      }),
      minReplicas: z.number().int().min(1).default(1),
      maxReplicas: z.number().int().min(1),
      metrics: z.array(metricSpec).optional(),
      behavior: z.looseObject({ scaleUp: scalingRules.optional(), scaleDown: scalingRules.optional() }).optional(),
    })
    .superRefine((spec, ctx) => {
      if (spec.minReplicas > spec.maxReplicas)
        fieldIssue(ctx, ['minReplicas'], `must be less than or equal to maxReplicas (${spec.maxReplicas})`);
      spec.metrics?.forEach((m, i) => {
        const field = { Resource: 'resource', ContainerResource: 'containerResource' }[m.type as string];
        if (field !== undefined && m[field as 'resource'] === undefined)
          fieldIssue(ctx, ['metrics', i, field], `required for type ${m.type}`);
        const t = m.resource?.target ?? m.containerResource?.target;
        if (t?.type === 'Utilization' && t.averageUtilization === undefined)
          fieldIssue(
            ctx,
            ['metrics', i, field ?? 'resource', 'target', 'averageUtilization'],
            'required for Utilization',
          );
      });
    }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      lastScaleTime: z.string().optional(),
      currentReplicas: z.number().int().optional(),
      desiredReplicas: z.number().int().optional(),
      currentMetrics: z.array(z.looseObject({})).optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});
export type HorizontalPodAutoscaler = z.infer<typeof horizontalPodAutoscalerSchema>;

/** What a valid HPA asks for that the local runtime does not act on. */
export function hpaWarnings(hpa: HorizontalPodAutoscaler): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const kind = hpa.spec.scaleTargetRef.kind;
  if (!['Deployment', 'StatefulSet'].includes(kind))
    out.push({ path: 'spec.scaleTargetRef.kind', message: `${kind} is not scaled by the local runtime` });
  (hpa.spec.metrics ?? []).forEach((m, i) => {
    const cpu = m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type !== 'Value';
    if (!cpu)
      out.push({
        path: `spec.metrics[${i}]`,
        message: `${m.type}${m.resource ? ` ${m.resource.name}` : ''} is not measured by the local runtime (it scales on Resource cpu only)`,
      });
  });
  return out;
}
