import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { getAnalysis, strategyOf, type Strategy } from '../engine/canary/index.js';
import type { Canary, CanaryStatus } from '../engine/resources/index.js';
import type { MetricObservation } from '../engine/analysis/index.js';

const strategyLabel: Record<Strategy, string> = {
  canary: 'canary',
  'blue-green': 'blue-green',
  'ab-testing': 'ab-testing',
};

/**
 * Flagger's controller metrics (reference 5.1, subsystem `flagger`) on a registry of the controller's own.
 * The `name` label is `targetRef.name`, as in Flagger.
 */
export class ControllerMetrics {
  readonly registry: Registry;
  private readonly total: Gauge;
  private readonly status: Gauge;
  private readonly weight: Gauge;
  private readonly analysis: Gauge;
  private readonly duration: Histogram;
  private readonly successes: Counter;
  private readonly failures: Counter;
  private readonly info: Gauge;
  private readonly fastRollbacks: Counter;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.info = new Gauge({
      name: 'flagger_info',
      help: 'Flagger version and mesh provider information',
      labelNames: ['version', 'mesh_provider'],
      registers: [registry],
    });
    this.total = new Gauge({
      name: 'flagger_canary_total',
      help: 'Total number of canary objects',
      labelNames: ['namespace'],
      registers: [registry],
    });
    this.status = new Gauge({
      name: 'flagger_canary_status',
      help: 'Last canary analysis result: 0 Progressing, 1 other, 2 Failed',
      labelNames: ['name', 'namespace'],
      registers: [registry],
    });
    this.weight = new Gauge({
      name: 'flagger_canary_weight',
      help: 'The virtual service destination weight current value',
      labelNames: ['workload', 'namespace'],
      registers: [registry],
    });
    this.analysis = new Gauge({
      name: 'flagger_canary_metric_analysis',
      help: 'Last canary analysis result per metric',
      labelNames: ['name', 'namespace', 'metric'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'flagger_canary_duration_seconds',
      help: 'Seconds spent performing canary analysis.',
      labelNames: ['name', 'namespace'],
      registers: [registry],
    });
    this.successes = new Counter({
      name: 'flagger_canary_successes_total',
      help: 'Total number of canary successes',
      labelNames: ['name', 'namespace', 'deployment_strategy', 'analysis_status'],
      registers: [registry],
    });
    this.fastRollbacks = new Counter({
      name: 'weir_fast_rollbacks_total',
      help: 'Canaries rolled back by Weir fast rollback (a success-rate breach beyond doubt between analysis intervals)',
      labelNames: ['name', 'namespace'],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'flagger_canary_failures_total',
      help: 'Total number of canary failures',
      labelNames: ['name', 'namespace', 'deployment_strategy', 'analysis_status'],
      registers: [registry],
    });
  }

  /** Weir's fast rollback acted (engine/canary/fast-rollback.ts) */
  countFastRollback(canary: Canary): void {
    this.fastRollbacks.inc({ name: canary.spec.targetRef.name, namespace: canary.metadata.namespace });
  }

  /** `flagger_info{version, mesh_provider} 1`: the running version and the router it drives */
  setInfo(version: string, meshProvider: string): void {
    this.info.reset();
    this.info.set({ version, mesh_provider: meshProvider }, 1);
  }

  setTotal(canaries: readonly Canary[]): void {
    this.total.reset();
    const byNs = new Map<string, number>();
    for (const c of canaries) byNs.set(c.metadata.namespace, (byNs.get(c.metadata.namespace) ?? 0) + 1);
    for (const [namespace, n] of byNs) this.total.set({ namespace }, n);
  }

  /** after a tick: status gauge, weights, per-metric values, success/failure counters on transitions */
  observeTick(
    canary: Canary,
    before: CanaryStatus | undefined,
    after: CanaryStatus,
    weights: { primary: number; canary: number } | undefined,
    metrics: MetricObservation[] | undefined,
    seconds: number,
  ): void {
    const name = canary.spec.targetRef.name;
    const namespace = canary.metadata.namespace;
    this.status.set({ name, namespace }, after.phase === 'Progressing' ? 0 : after.phase === 'Failed' ? 2 : 1);
    if (weights) {
      this.weight.set({ workload: `${name}-primary`, namespace }, weights.primary);
      this.weight.set({ workload: name, namespace }, weights.canary);
    }
    for (const m of metrics ?? []) {
      if (m.value === undefined) continue;
      this.analysis.set({ name, namespace, metric: m.name }, m.name === 'request-duration' ? m.value / 1000 : m.value);
    }
    this.duration.observe({ name, namespace }, seconds);
    if (before?.phase !== after.phase) {
      const labels = {
        name,
        namespace,
        deployment_strategy: strategyLabel[strategyOf(getAnalysis(canary))],
        analysis_status: canary.spec.skipAnalysis || !getAnalysis(canary) ? 'skipped' : 'completed',
      };
      if (after.phase === 'Succeeded') this.successes.inc(labels);
      if (after.phase === 'Failed') this.failures.inc(labels);
    }
  }
}
