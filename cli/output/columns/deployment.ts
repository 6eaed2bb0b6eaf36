import type { Deployment, KubeObject } from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import type { Columns, RowContext } from './types.js';

export const deploymentColumns: Columns = {
  head: (wide) => [
    'NAME',
    'READY',
    'UP-TO-DATE',
    'AVAILABLE',
    'AGE',
    ...(wide ? ['CONTAINERS', 'IMAGES', 'SELECTOR'] : []),
  ],
  row(o: KubeObject, ctx: RowContext) {
    const d = o as Deployment;
    const s = d.status;
    const row = [
      d.metadata.name,
      `${s?.readyReplicas ?? 0}/${d.spec.replicas}`,
      String(s?.updatedReplicas ?? 0),
      String(s?.availableReplicas ?? 0),
      ageOf(d.metadata.creationTimestamp, ctx.now),
    ];
    if (ctx.wide) {
      const containers = d.spec.template.spec.containers;
      row.push(
        containers.map((c) => c.name).join(','),
        containers.map((c) => c.image ?? '<none>').join(','),
        Object.entries(d.spec.selector.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      );
    }
    return row;
  },
};
