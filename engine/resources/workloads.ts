import { z } from 'zod';
import { labelSelector, podTemplate, selectorMatches } from './deployment.js';
import { fieldIssue } from './httproute.js';
import { objectMeta } from './meta.js';

/**
 * `apps/v1` DaemonSet and StatefulSet as far as Weir runs them (the local runtime) and rolls them out
 * (canary targets). The selector rules are the Deployment's: not empty, and matching the template's labels.
 */

function checkSelector(
  spec: { selector: z.infer<typeof labelSelector>; template: z.infer<typeof podTemplate> },
  ctx: z.RefinementCtx,
): void {
  const s = spec.selector;
  if (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0)
    return fieldIssue(ctx, ['selector'], 'expected matchLabels or matchExpressions: an empty selector is invalid');
  if (!selectorMatches(s, spec.template.metadata.labels)) {
    const want = Object.entries(s.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    fieldIssue(ctx, ['template', 'metadata', 'labels'], `must match spec.selector${want === '' ? '' : ` (${want})`}`);
  }
}

const maxUnavailable = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'a percentage like 25%')]);

export const daemonSetSchema = z.looseObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('DaemonSet'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      selector: labelSelector,
      template: podTemplate,
      minReadySeconds: z.number().int().min(0).default(0),
      revisionHistoryLimit: z.number().int().min(0).optional(),
      updateStrategy: z
        .looseObject({
          type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
          rollingUpdate: z.looseObject({ maxUnavailable: maxUnavailable.optional() }).optional(),
        })
        .optional(),
    })
    .superRefine(checkSelector),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      currentNumberScheduled: z.number().int().optional(),
      desiredNumberScheduled: z.number().int().optional(),
      updatedNumberScheduled: z.number().int().optional(),
      numberReady: z.number().int().optional(),
      numberAvailable: z.number().int().optional(),
      numberUnavailable: z.number().int().optional(),
      numberMisscheduled: z.number().int().optional(),
    })
    .optional(),
});
export type DaemonSet = z.infer<typeof daemonSetSchema>;

export const statefulSetSchema = z.looseObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('StatefulSet'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      replicas: z.number().int().min(0).default(1),
      serviceName: z.string().optional(),
      selector: labelSelector,
      template: podTemplate,
      minReadySeconds: z.number().int().min(0).default(0),
      revisionHistoryLimit: z.number().int().min(0).optional(),
      podManagementPolicy: z.enum(['OrderedReady', 'Parallel']).default('OrderedReady'),
      updateStrategy: z
        .looseObject({
          type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
          rollingUpdate: z
            .looseObject({ partition: z.number().int().min(0).optional(), maxUnavailable: maxUnavailable.optional() })
            .optional(),
        })
        .optional(),
      volumeClaimTemplates: z.array(z.looseObject({})).optional(),
    })
    .superRefine(checkSelector),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      currentReplicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
    })
    .optional(),
});
export type StatefulSet = z.infer<typeof statefulSetSchema>;
