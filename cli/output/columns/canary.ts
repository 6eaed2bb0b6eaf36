import { strategyOf } from '../../../engine/canary/strategy-kind.js';
import type { Canary, KubeObject } from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import type { Columns, GoldenSample, RowContext } from './types.js';

/** Flagger's strategy of a Canary as operators name it: canary, A/B, blue/green, mirror */
export function strategyLabel(c: Canary): string {
  const a = c.spec.analysis;
  if (a?.mirror) return 'mirror';
  const s = strategyOf(a);
  return s === 'ab-testing' ? 'A/B' : s === 'blue-green' ? 'blue/green' : 'canary';
}

export const percent = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(1)}%`);
export const millis = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)}ms`);

/** `Canary` rows: kubectl's Flagger columns with the strategy, failed checks over the threshold and AGE */
export const canaryColumns: Columns = {
  head: (wide) => [
    'NAME',
    'STRATEGY',
    'STATUS',
    'WEIGHT',
    'FAILEDCHECKS',
    'LASTTRANSITIONTIME',
    'AGE',
    ...(wide ? ['INTERVAL', 'MAXWEIGHT', 'PRIMARY-SR', 'CANARY-SR', 'PRIMARY-P99', 'CANARY-P99'] : []),
  ],
  row(o: KubeObject, ctx: RowContext) {
    const c = o as Canary;
    const s = c.status;
    const a = c.spec.analysis;
    const row = [
      c.metadata.name,
      strategyLabel(c),
      s?.phase ?? '',
      String(s?.canaryWeight ?? 0),
      `${s?.failedChecks ?? 0}/${a?.threshold ?? 0}`,
      s?.lastTransitionTime ?? '',
      ageOf(c.metadata.creationTimestamp, ctx.now),
    ];
    if (ctx.wide) {
      const ns = c.metadata.namespace;
      const target = c.spec.targetRef.name;
      const primary: GoldenSample = ctx.golden?.(ns, `${target}-primary`) ?? {};
      const canary: GoldenSample = ctx.golden?.(ns, target) ?? {};
      row.push(
        a?.interval ?? '',
        String(a?.maxWeight ?? (a?.stepWeights ? Math.max(...a.stepWeights) : '')),
        percent(primary.successRate),
        percent(canary.successRate),
        millis(primary.p99),
        millis(canary.p99),
      );
    }
    return row;
  },
};
