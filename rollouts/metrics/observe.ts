import type { MetricObservation } from '../../engine/analysis/index.js';
import { getAnalysis, metricWindowMs } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';
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
