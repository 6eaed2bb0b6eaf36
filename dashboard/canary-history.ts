import type { Canary } from '../engine/resources/index.js';
import type { Golden } from './mesh-stats.js';

/** one second of a Canary's life: where its traffic went and how each side answered */
export interface CanaryPoint {
  /** milliseconds since the epoch */
  t: number;
  phase: string;
  primaryWeight: number;
  canaryWeight: number;
  primary: Golden;
  canary: Golden;
}

export interface CanaryHistoryOptions {
  /** how long points are kept (default 15 min) */
  retentionMs?: number;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * The charts' data: a point per Canary per sample, kept for a while, so that a page opened in the middle
 * of a rollout shows it from its start. The weights are `status.canaryWeight` and the rest (as Flagger's
 * `flagger_canary_weight` reports them); the golden metrics those of the primary and canary Deployments.
 */
export class CanaryHistory {
  private readonly series = new Map<string, CanaryPoint[]>();
  private readonly retentionMs: number;

  constructor(options: CanaryHistoryOptions = {}) {
    this.retentionMs = options.retentionMs ?? 15 * 60_000;
  }

  record(
    canaries: readonly Canary[],
    golden: (namespace: string, deployment: string) => Golden,
    now: number = Date.now(),
  ): void {
    const live = new Set<string>();
    for (const c of canaries) {
      const k = key(c.metadata.namespace, c.metadata.name);
      live.add(k);
      const target = c.spec.targetRef.name;
      const canaryWeight = c.status?.canaryWeight ?? 0;
      const points = this.series.get(k) ?? [];
      points.push({
        t: now,
        phase: c.status?.phase ?? 'Pending',
        primaryWeight: 100 - canaryWeight,
        canaryWeight,
        primary: golden(c.metadata.namespace, `${target}-primary`),
        canary: golden(c.metadata.namespace, target),
      });
      while (points.length > 0 && points[0]!.t < now - this.retentionMs) points.shift();
      this.series.set(k, points);
    }
    for (const k of [...this.series.keys()]) if (!live.has(k)) this.series.delete(k);
  }

  points(namespace: string, name: string, since = 0): CanaryPoint[] {
    return (this.series.get(key(namespace, name)) ?? []).filter((p) => p.t > since);
  }
}
