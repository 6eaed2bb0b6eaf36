import type { ComparisonLook } from '../../engine/analysis/index.js';
import type { Canary, CanaryMetric } from '../../engine/resources/index.js';

export interface MetricQuery {
  canary: Canary;
  metric: CanaryMetric;
  /** the query range (`metrics[].interval`, default 1m) */
  windowMs: number;
  now?: Date;
}

/**
 * Where metric values come from (Flagger's metric providers): the mesh's own proxies, Prometheus, ...
 * `undefined` = no data (the check fails with Flagger's "no values found" message); a thrown error = the
 * query failed.
 */
export interface MetricsProvider {
  /** used in messages: "no values found for <name> metric ..." */
  readonly name: string;
  /** whether this provider answers the metric for this canary (e.g. builtins go to Prometheus only when the canary names a metricsServer); default yes */
  supports?(metric: CanaryMetric, canary?: Canary): boolean;
  /** the name for messages about this metric when it is not `name` (a MetricTemplate's provider type) */
  providerName?(metric: CanaryMetric, canary: Canary): string;
  query(query: MetricQuery): Promise<number | undefined>;
  /** a comparative metric (docs/compare.md): one look of the canary-vs-primary test, its decision and line */
  compare?(query: MetricQuery): Promise<ComparisonLook>;
  /** the controller says when a canary is under analysis, so providers can sample in the background */
  track?(canary: Canary, active: boolean): void;
  close?(): void | Promise<void>;
}
