import type { HorizontalPodAutoscaler, KubeObject } from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import type { Columns, RowContext } from './types.js';

/** kubectl's TARGETS: `cpu: 35%/80%` per metric, `<unknown>` before the first measurement */
function targets(h: HorizontalPodAutoscaler): string {
  const current = (h.status?.currentMetrics ?? []) as Array<{
    type?: string;
    resource?: { name?: string; current?: { averageUtilization?: number; averageValue?: string } };
  }>;
  const specs = h.spec.metrics ?? [
    {
      type: 'Resource' as const,
      resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization: 80 } },
    },
  ];
  const parts = specs.map((m) => {
    if (m.type !== 'Resource' || !m.resource) return `${m.type}: <unknown>`;
    const name = m.resource.name;
    const t = m.resource.target;
    const cur = current.find((c) => c.type === 'Resource' && c.resource?.name === name)?.resource?.current;
    if (t.type === 'Utilization')
      return `${name}: ${cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>'}/${t.averageUtilization}%`;
    return `${name}: ${cur?.averageValue ?? '<unknown>'}/${String(t.averageValue ?? t.value ?? '')}`;
  });
  return parts.join(', ') || '<none>';
}

export const hpaColumns: Columns = {
  head: () => ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
  row(o: KubeObject, ctx: RowContext) {
    const h = o as HorizontalPodAutoscaler;
    const ref = h.spec.scaleTargetRef;
    return [
      h.metadata.name,
      `${ref.kind}/${ref.name}`,
      targets(h),
      String(h.spec.minReplicas),
      String(h.spec.maxReplicas),
      String(h.status?.currentReplicas ?? 0),
      ageOf(h.metadata.creationTimestamp, ctx.now),
    ];
  },
};
