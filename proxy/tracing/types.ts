import type { TracingConfig } from './config.js';
import type { HeaderReader, TraceFormat } from './context.js';

/** The tracer's interface, apart from its implementation (tracer.ts) so that the proxy can hold one without loading the SDK. */

export type { HeaderReader, TracingConfig };

export interface ExportCounts {
  /** spans the collector accepted */
  exported: number;
  /** spans in batches that failed (collector down, timed out, refused); spans dropped from a full queue
   *  are not counted (the SDK's processor only logs them to OTel's diagnostic logger) */
  failed: number;
}

/** Sets one header (lower-case name) on the forwarded request's headers. */
export type HeaderWriter<C> = (carrier: C, name: string, value: string) => void;

export type Direction = 'inbound' | 'outbound';

/** What the request path knows about the request when it starts forwarding it. */
export interface HopInfo {
  direction: Direction;
  method: string;
  /** the request target as received: path with optional query (`req.url`, `:path`) */
  path: string;
  /** `:authority` or Host, when known */
  authority?: string;
  /** `http` or `https`, when known (`:scheme`) */
  scheme?: string;
}

export interface HopOutcome {
  /** the request failed (no response, reset, timeout...): recorded as attribute `error` and status ERROR */
  error?: Error | string;
  /** gRPC status from the trailers (or a trailers-only response) */
  grpcStatus?: number;
}

export interface HopSpan {
  readonly format: TraceFormat;
  /** the trace id as exported (32 hex digits) */
  readonly traceId: string;
  /** the proxy's span for this hop, as sent downstream */
  readonly spanId: string;
  /** the caller's span id */
  readonly parentSpanId: string;
  /** the headers to set on the forwarded request, as flat `[name, value, ...]` pairs (lower-case names) */
  outgoingHeaders(): readonly string[];
  /** sets `outgoingHeaders()` through `write` */
  inject<C>(carrier: C, write: HeaderWriter<C>): void;
  /** records the span (response status, 0 if none); the first call counts, later ones are ignored */
  end(status: number, outcome?: HopOutcome): void;
}

export interface Tracer {
  readonly enabled: boolean;
  /** a span for this hop if the request carries a sampled trace context, else undefined */
  start<C>(carrier: C, read: HeaderReader<C>, info: HopInfo): HopSpan | undefined;
  /** spans exported, and spans in failed exports, so far */
  readonly counts: Readonly<ExportCounts>;
  /** exports what is queued; resolves within exportTimeoutMs + 1 s, never rejects */
  flush(): Promise<void>;
  /** flushes, then stops exporting; resolves within exportTimeoutMs + 1 s; idempotent */
  shutdown(): Promise<void>;
}
