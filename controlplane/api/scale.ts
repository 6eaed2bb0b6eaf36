import type { KindInfo, KubeObject } from '../../engine/resources/index.js';
import { ApiStatusError } from './status.js';

/** The `scale` subresource: an `autoscaling/v1` Scale view of a kind's replica fields. */

function at(o: unknown, path: string): unknown {
  let cur = o;
  for (const p of path.split('.').filter((s) => s !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function selectorString(sel: unknown): string {
  const m = (sel as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function scaleObject(info: KindInfo, o: KubeObject): Record<string, unknown> {
  const s = info.scale!;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: at(o, s.specReplicasPath) ?? 1 },
    status: {
      replicas: at(o, s.statusReplicasPath) ?? 0,
      ...(s.labelSelectorPath ? { selector: selectorString(at(o, s.labelSelectorPath)) } : {}),
    },
  };
}

/** the object with `spec.replicas` (the kind's replica path) set; 422 for a bad count */
export function withReplicas(info: KindInfo, o: KubeObject, replicas: unknown): KubeObject {
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw new ApiStatusError(
      422,
      'Invalid',
      `Scale.autoscaling "${o.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`,
      {
        name: o.metadata.name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [{ reason: 'FieldValueInvalid', message: 'must be a non-negative integer', field: 'spec.replicas' }],
      },
    );
  const next = structuredClone(o) as unknown as Record<string, unknown>;
  const parts = info.scale!.specReplicasPath.split('.').filter((s) => s !== '');
  let cur = next;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = replicas;
  return next as unknown as KubeObject;
}
