import type { KubeObject } from '../../../engine/resources/index.js';

/** success rate (%) and p99 (ms) of one Deployment over a recent window, as the sidecars measured them */
export interface GoldenSample {
  successRate?: number;
  p99?: number;
}

export interface RowContext {
  now: number;
  wide: boolean;
  /** Canary -o wide: golden metrics of `namespace/deployment` (undefined: not fetched or no traffic) */
  golden?: (namespace: string, deployment: string) => GoldenSample | undefined;
}

/** The columns `weir get` prints for one kind, after NAMESPACE (with -A). */
export interface Columns {
  head(wide: boolean): string[];
  row(o: KubeObject, ctx: RowContext): string[];
}
