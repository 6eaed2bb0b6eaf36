/**
 * The Prometheus side of metric templates, kept under its former path: the provider itself is
 * `providers/prometheus.ts` (one file per MetricTemplate provider type, behind `providers/index.ts`), and the
 * Canary-level provider that reads MetricTemplates and dispatches by `spec.provider.type` is
 * `template-provider.ts`. `PrometheusMetricsProvider` is that class under the name `weir up` still imports.
 */
export {
  LINKERD_BUILTIN_QUERIES,
  PROMETHEUS_TIMEOUT_MS,
  parseQueryResult,
  queryUrl,
  trimQuery,
} from './providers/prometheus.js';
export {
  MetricTemplateProvider as PrometheusMetricsProvider,
  type MetricTemplateProviderOptions as PrometheusProviderOptions,
} from './template-provider.js';
