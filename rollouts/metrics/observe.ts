import { isComparativeMetric, type MetricObservation } from '../../engine/analysis/index.js';
import { getAnalysis, metricWindowMs } from '../../engine/canary/index.js';
import type { Canary, CanaryMetric } from '../../engine/resources/index.js';
import { errorMessage } from '../logger.js';
import type { MetricsProvider } from './provider.js';

/**
 * Ask each metric of the analysis from the provider that answers it: the mesh's sidecars for builtin
 * metrics, or MetricTemplates / Prometheus (`template-provider.ts`, which picks the provider by the
 * template's `spec.provider.type`).
 */
export async function observeMetrics(
  canary: Canary,
  providers: readonly MetricsProvider[],
  now: Date,
): Promise<MetricObservation[]> {
  const metrics = getAnalysis(canary)?.metrics ?? [];
  return Promise.all(
    metrics.map(async (metric): Promise<MetricObservation> => {
      if (isComparativeMetric(metric.name)) return compare(canary, metric, providers, now);
      const provider = providers.find((p) => p.supports?.(metric, canary) ?? true);
      if (!provider) {
        return { name: metric.name, error: `no metrics provider configured for metric ${metric.name}` };
      }
      const name = provider.providerName?.(metric, canary) ?? provider.name;
      try {
        const value = await provider.query({ canary, metric, windowMs: metricWindowMs(metric), now });
        return value === undefined
          ? { name: metric.name, provider: name }
          : { name: metric.name, value, provider: name };
      } catch (err) {
        return { name: metric.name, error: errorMessage(err), provider: name };
      }
    }),
  );
}

/** a comparative metric (docs/compare.md): asked of the provider that compares canary with primary (the mesh) */
async function compare(
  canary: Canary,
  metric: CanaryMetric,
  providers: readonly MetricsProvider[],
  now: Date,
): Promise<MetricObservation> {
  const provider = providers.find((p) => p.compare !== undefined && (p.supports?.(metric, canary) ?? true));
  if (!provider?.compare) {
    return { name: metric.name, error: `no metrics provider compares the canary with the primary for ${metric.name}` };
  }
  try {
    const look = await provider.compare({ canary, metric, windowMs: metricWindowMs(metric), now });
    return {
      name: metric.name,
      provider: provider.name,
      ...(look.value !== undefined ? { value: look.value } : {}),
      comparison: { verdict: look.verdict, line: look.line },
    };
  } catch (err) {
    return { name: metric.name, error: errorMessage(err), provider: provider.name };
  }
}
