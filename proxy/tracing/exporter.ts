/**
 * The span pipeline behind an enabled tracer, all OpenTelemetry SDK parts: a `TracerProvider` whose
 * resource holds the proxy's own labels, a `BatchSpanProcessor` (bounded queue: when the collector is slow
 * or down, spans past `maxQueueSize` are dropped, nothing waits) and the OTLP/HTTP (JSON) trace exporter.
 * Export errors go to OpenTelemetry's diagnostic logger (silent unless one is registered), never to a request.
 */
import { hostname } from 'node:os';
import type { Tracer as OtelTracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { ResolvedTracingConfig } from './config.js';
import type { ExportCounts } from './types.js';

/** how much longer the processor, then flush and shutdown, wait than the exporter's own timeout */
const MARGIN_MS = 500;

/** The instrumentation scope name on every exported span. */
export const SCOPE_NAME = 'weir-proxy';

export interface SpanPipeline {
  /** the SDK tracer spans are started on */
  readonly tracer: OtelTracer;
  readonly counts: ExportCounts;
  /** exports what is queued now; resolves when every export succeeded or failed, at the latest after
   *  the export timeout (+1 s); never rejects */
  flush(): Promise<void>;
  /** flushes, then stops; same bound; idempotent */
  shutdown(): Promise<void>;
}

type ExportCallback = Parameters<SpanExporter['export']>[1];

/**
 * Counts what the wrapped exporter accepted and lost (for the proxy's own metrics and tests), and knows when
 * no export is in flight: the processor's flush gives up at the first failed batch, `idle()` waits for all.
 */
class CountingExporter implements SpanExporter {
  private pending = 0;
  private waiters: (() => void)[] = [];
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly inner: SpanExporter,
    private readonly counts: ExportCounts,
  ) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    this.pending++;
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.counts.exported += spans.length;
      else this.counts.failed += spans.length;
      if (--this.pending === 0) for (const wake of this.waiters.splice(0)) wake();
      done(result);
    });
  }

  /** resolves when no export is in flight */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  shutdown(): Promise<void> {
    return (this.stopped ??= this.idle().then(() => this.inner.shutdown()));
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function resourceAttributes(config: ResolvedTracingConfig): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'service.name': config.serviceName,
    'host.name': hostname(),
    'process.pid': process.pid,
  };
  if (config.namespace !== undefined) attributes['k8s.namespace.name'] = config.namespace;
  if (config.pod !== undefined) attributes['k8s.pod.name'] = config.pod;
  if (config.deployment !== undefined) attributes['k8s.deployment.name'] = config.deployment;
  return { ...attributes, ...config.resourceAttributes };
}

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work.then(noop, noop), deadline]).finally(() => clearTimeout(timer));
}

function noop(): void {}

export function createSpanPipeline(config: ResolvedTracingConfig): SpanPipeline {
  const counts: ExportCounts = { exported: 0, failed: 0 };
  const exporter = new CountingExporter(
    new OTLPTraceExporter({ url: `${config.collector}/v1/traces`, timeoutMillis: config.exportTimeoutMs }),
    counts,
  );
  const processor = new BatchSpanProcessor({
    exporter,
    maxExportBatchSize: config.batchSize,
    maxQueueSize: config.maxQueueSize,
    scheduledDelayMillis: config.flushIntervalMs,
    exportTimeoutMillis: config.exportTimeoutMs + MARGIN_MS, // the exporter gives up first and reports it
  });
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes(config)),
    sampler: new AlwaysOnSampler(), // the tracer only starts spans for requests the caller sampled
    spanProcessors: [processor],
  });
  // the processor sends all queued batches at once, each bounded by the export timeout (retries included)
  const drainMs = config.exportTimeoutMs + 2 * MARGIN_MS;
  let stopped: Promise<void> | undefined;
  const idle = () => exporter.idle();
  const stop = () => exporter.shutdown();
  return {
    tracer: provider.getTracer(SCOPE_NAME),
    counts,
    flush: () => bounded(provider.forceFlush({ timeoutMillis: drainMs }).catch(noop).then(idle), drainMs),
    shutdown: () => (stopped ??= bounded(provider.shutdown().catch(noop).then(stop), drainMs)),
  };
}
