import { TRACING_OFF } from './off.js';
import type { Tracer, TracingConfig } from './types.js';

export { TRACING_OFF };

/**
 * The tracer as the proxy loads it: tracing off costs neither the OpenTelemetry SDK's import (some 6 MB
 * of a sidecar's memory) nor any work per request; the SDK is loaded only when a collector is configured.
 */

/**
 * A tracer exporting to `config.collector`, or `TRACING_OFF` without config. The proxy's own `workload`
 * labels the spans' resource unless the config says otherwise. Rejects an invalid config.
 */
export async function loadTracer(
  config: TracingConfig | undefined,
  workload: { namespace?: string | undefined; pod?: string | undefined; deployment?: string | undefined } = {},
): Promise<Tracer> {
  if (config === undefined) return TRACING_OFF;
  const { createTracer } = await import('./tracer.js');
  return createTracer({ ...workload, ...config });
}
