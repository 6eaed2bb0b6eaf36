/**
 * The tracing configuration, validated once by its zod schema when the tracer is created.
 * Absent configuration means tracing is off.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const tracingConfigSchema = z
  .object({
    /** OTLP/HTTP endpoint base, e.g. `http://127.0.0.1:4318`; spans are POSTed to `<collector>/v1/traces` */
    collector: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL (the OTLP/HTTP endpoint base)' })
      .transform((url) => url.replace(/\/+$/, '')),
    /** OTel resource `service.name` (Linkerd: the workload's deployment or service name) */
    serviceName: z.string().min(1),
    /** the proxy's own labels, on the OTel resource as k8s.namespace.name, k8s.pod.name, k8s.deployment.name */
    namespace: z.string().min(1).optional(),
    pod: z.string().min(1).optional(),
    deployment: z.string().min(1).optional(),
    /** further resource attributes, verbatim (Linkerd's pod labels / OTEL_RESOURCE_ATTRIBUTES) */
    resourceAttributes: z.record(z.string(), z.string()).optional(),
    /** most spans per OTLP request (default 512) */
    batchSize: positiveInt.default(512),
    /** longest a finished span waits before its batch is sent (default 5000 ms) */
    flushIntervalMs: positiveInt.default(5000),
    /** most finished spans held while the collector is slow or down; more are dropped (default 2048) */
    maxQueueSize: positiveInt.default(2048),
    /** one export, retries included, gives up after this long (default 10000 ms) */
    exportTimeoutMs: positiveInt.default(10_000),
  })
  .strict()
  .refine((c) => c.batchSize <= c.maxQueueSize, {
    message: 'batchSize must not exceed maxQueueSize',
    path: ['batchSize'],
  });

export type TracingConfig = z.input<typeof tracingConfigSchema>;
export type ResolvedTracingConfig = z.output<typeof tracingConfigSchema>;

/** The validated configuration; throws an Error naming each offending field. */
export function parseTracingConfig(input: unknown): ResolvedTracingConfig {
  const result = tracingConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `tracing.${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`invalid tracing configuration: ${problems.join('; ')}`);
}
