import type { KubeObject } from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import { canaryColumns } from './canary.js';
import { deploymentColumns } from './deployment.js';
import { eventColumns } from './event.js';
import { hpaColumns } from './hpa.js';
import { podColumns } from './pod.js';
import type { Columns, RowContext } from './types.js';

export type { Columns, GoldenSample, RowContext } from './types.js';

const nameAndAge: Columns = {
  head: () => ['NAME', 'AGE'],
  row: (o: KubeObject, ctx: RowContext) => [o.metadata.name, ageOf(o.metadata.creationTimestamp, ctx.now)],
};

const byKind: Record<string, Columns> = {
  Canary: canaryColumns,
  Pod: podColumns,
  Deployment: deploymentColumns,
  Event: eventColumns,
  HorizontalPodAutoscaler: hpaColumns,
};

/** the table columns of a kind (NAME AGE when it has none of its own) */
export function columnsOf(kind: string): Columns {
  return byKind[kind] ?? nameAndAge;
}
