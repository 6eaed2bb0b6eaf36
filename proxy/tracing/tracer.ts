/**
 * Distributed tracing for one proxy hop, as linkerd2-proxy does it (`trace-context`, `http_tracing.rs`).
 *
 * The proxy never starts a trace. When a request carries a sampled trace context (W3C `traceparent`, B3 `b3`
 * or `x-b3-*`; see context.ts), the proxy makes a child span for its hop: the forwarded request carries the
 * same trace id with the proxy's span id in place of the caller's (which becomes the span's parent), in the
 * format it came in (and in any other format the request carries for the same trace); when the response
 * ends, the span is recorded with Linkerd's attributes and exported in batches over OTLP/HTTP (exporter.ts).
 * Unsampled, absent or invalid context: `start` returns undefined after a few header lookups and allocates
 * nothing; the request goes on untouched. Tracing off: `start` returns undefined without looking at anything.
 *
 * ## Interface
 *
 * ```ts
 * const tracer = createTracer(config?);   // config: TracingConfig (config.ts), or undefined = off
 * tracer.start<C>(carrier: C, read: (carrier: C, name: string) => string | undefined, info: HopInfo): HopSpan | undefined
 * span.outgoingHeaders(): readonly string[]          // [name, value, ...] to set on the forwarded request
 * span.inject<C>(carrier: C, write: (carrier: C, name: string, value: string) => void): void
 * span.end(status: number, outcome?: { error?: Error | string; grpcStatus?: number }): void   // once; later calls ignored
 * tracer.shutdown(): Promise<void>        // flushes queued spans; resolves within exportTimeoutMs + 1 s
 * ```
 *
 * Call `start` once per request (before retries: one span per hop, not per attempt) and `end` once the
 * response has ended or failed. Exporting never blocks or fails a request: a slow or absent collector
 * costs spans beyond `maxQueueSize`, dropped, and nothing else.
 *
 * `start` takes the caller's own header container plus a static reader, so neither HTTP version builds a
 * header object or a closure per request; carriers.ts has the readers and writers for both:
 *
 * ```ts
 * // HTTP/1.1 (Node rawHeaders, flat name/value pairs), after hop-by-hop filtering gave `headers`:
 * const span = tracer.start(headers, readRawHeader, { direction: 'outbound', method: req.method, path: req.url, authority: host });
 * span?.inject(headers, writeRawHeader);  // replaces traceparent/b3/x-b3-spanid... in place
 * // ... when the response has ended (or failed):
 * span?.end(res.statusCode);  or  span?.end(0, { error: err });
 *
 * // HTTP/2 (header object, lower-case names):
 * const span = tracer.start(stream.headers, readHeaderObject, { direction, method: h[':method'], path: h[':path'], authority: h[':authority'] });
 * span?.inject(outgoing, writeHeaderObject);
 * span?.end(status, { grpcStatus });       // grpc-status from the trailers, if any
 * ```
 *
 * The span is named after the request path (as Linkerd does), is a SERVER span inbound and a CLIENT span
 * outbound, and carries OpenTelemetry's HTTP semantic attributes as Linkerd sets them (`http.request.method`,
 * `url.path`, `url.query`, `url.scheme`, `url.full`, `network.transport`, `server.address`, `server.port`,
 * `user_agent.original`, `http.request.header.content-type|content-length|l5d-orig-proto`,
 * `http.response.status_code`), plus `direction`, `rpc.grpc.status_code` and `error`. Its status is ERROR
 * for a failure, a 5xx (and a 4xx outbound), or a failing gRPC status. The proxy's own labels (service
 * name, namespace, pod, deployment) are the OTel resource.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { parseTracingConfig, type TracingConfig } from './config.js';
import {
  companionContexts,
  exportTraceId,
  extractSampled,
  propagationHeaders,
  type HeaderReader,
  type TraceFormat,
} from './context.js';
import { createSpanPipeline, type SpanPipeline } from './exporter.js';
import { TRACING_OFF } from './off.js';

export type * from './types.js';
import type { Direction, ExportCounts, HeaderWriter, HopInfo, HopOutcome, HopSpan, Tracer } from './types.js';

export { TRACING_OFF };

/** A tracer exporting to `config.collector`, or `TRACING_OFF` without config. Throws on an invalid config. */
export function createTracer(config?: TracingConfig): Tracer {
  return config === undefined ? TRACING_OFF : new OtlpTracer(createSpanPipeline(parseTracingConfig(config)));
}

/** gRPC codes that are a server-side error (OTel semantic conventions for gRPC server spans) */
const GRPC_SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

class OtlpTracer implements Tracer {
  readonly enabled = true;

  constructor(private readonly pipeline: SpanPipeline) {}

  get counts(): Readonly<ExportCounts> {
    return this.pipeline.counts;
  }

  start<C>(carrier: C, read: HeaderReader<C>, info: HopInfo): HopSpan | undefined {
    const context = extractSampled(carrier, read);
    if (context === undefined) return undefined;
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: exportTraceId(context.traceId),
      spanId: context.parentSpanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const target = requestTarget(info.path);
    const span = this.pipeline.tracer.startSpan(
      target.path,
      {
        kind: info.direction === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT,
        attributes: requestAttributes(carrier, read, info, target),
      },
      parent,
    );
    const spanId = span.spanContext().spanId;
    const headers = propagationHeaders(context, spanId);
    for (const other of companionContexts(carrier, read, context)) headers.push(...propagationHeaders(other, spanId));
    return new SampledHop(span, context.format, context.parentSpanId, headers, info.direction);
  }

  flush(): Promise<void> {
    return this.pipeline.flush();
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown();
  }
}

/** Request headers Linkerd copies onto the span (never all of them: they may hold credentials). */
const HEADER_ATTRIBUTES: readonly (readonly [string, string])[] = [
  ['user-agent', 'user_agent.original'],
  ['content-length', 'http.request.header.content-length'],
  ['content-type', 'http.request.header.content-type'],
  ['l5d-orig-proto', 'http.request.header.l5d-orig-proto'],
];

interface RequestTarget {
  path: string;
  query: string | undefined;
  /** the target was absolute-form (`http://host/path`), redacted of credentials */
  full: string | undefined;
}

/** path and query of an origin-form (`/p?q`) or absolute-form (`http://h/p?q`) request target */
function requestTarget(target: string): RequestTarget {
  let full: string | undefined;
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f /* '/' */) {
    const scheme = target.indexOf('://');
    if (scheme > 0) {
      const slash = target.indexOf('/', scheme + 3);
      const question = target.indexOf('?', scheme + 3);
      start = slash >= 0 && (question < 0 || slash < question) ? slash : question >= 0 ? question : target.length;
      const authority = withoutCredentials(target.slice(scheme + 3, start));
      full = `${target.slice(0, scheme + 3)}${authority}${target.slice(start)}`;
    }
  }
  const q = target.indexOf('?', start);
  const path = target.slice(start, q < 0 ? target.length : q) || '/';
  return { path, query: q < 0 ? undefined : target.slice(q + 1), full };
}

function requestAttributes<C>(carrier: C, read: HeaderReader<C>, info: HopInfo, target: RequestTarget): Attributes {
  const attributes: Attributes = {
    'http.request.method': info.method,
    'url.path': target.path,
    'network.transport': 'tcp',
    direction: info.direction,
  };
  if (target.query !== undefined) attributes['url.query'] = target.query;
  if (info.scheme !== undefined) attributes['url.scheme'] = info.scheme;
  attributes['url.full'] =
    target.full ??
    (info.scheme !== undefined && info.authority !== undefined
      ? `${info.scheme}://${withoutCredentials(info.authority)}${info.path}`
      : info.path);
  const host = read(carrier, 'x-forwarded-host') ?? info.authority;
  if (host !== undefined) serverAddress(host, attributes);
  for (const [header, key] of HEADER_ATTRIBUTES) {
    const value = read(carrier, header);
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

function withoutCredentials(authority: string): string {
  const at = authority.lastIndexOf('@');
  if (at < 0) return authority;
  return (authority.slice(0, at).includes(':') ? 'REDACTED:REDACTED@' : 'REDACTED@') + authority.slice(at + 1);
}

/** `server.address` and `server.port` from `host[:port]` or `[v6]:port` */
function serverAddress(authority: string, into: Attributes): void {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const close = hostPort.startsWith('[') ? hostPort.indexOf(']') : -1;
  const colon = hostPort.indexOf(':', close + 1);
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  if (host !== '') into['server.address'] = close > 0 ? host.slice(1, close) : host;
  if (colon >= 0) {
    const port = Number(hostPort.slice(colon + 1));
    if (Number.isInteger(port) && port > 0 && port < 65536) into['server.port'] = port;
  }
}

class SampledHop implements HopSpan {
  private ended = false;

  constructor(
    private readonly span: Span,
    readonly format: TraceFormat,
    readonly parentSpanId: string,
    private readonly headers: readonly string[],
    private readonly direction: Direction,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  outgoingHeaders(): readonly string[] {
    return this.headers;
  }

  inject<C>(carrier: C, write: HeaderWriter<C>): void {
    for (let i = 0; i < this.headers.length; i += 2)
      write(carrier, this.headers[i] as string, this.headers[i + 1] as string);
  }

  end(status: number, outcome?: HopOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const span = this.span;
    const outbound = this.direction === 'outbound';
    let failure: string | undefined;
    if (status > 0) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500 || (outbound && status >= 400)) failure = `HTTP ${status}`;
    }
    const grpc = outcome?.grpcStatus;
    if (grpc !== undefined) {
      span.setAttribute('rpc.grpc.status_code', grpc);
      if (grpc !== 0 && (outbound || GRPC_SERVER_ERRORS.has(grpc))) failure = `gRPC status ${grpc}`;
    }
    const error = outcome?.error;
    if (error !== undefined) {
      failure = typeof error === 'string' ? error : error.message || error.name;
      span.setAttribute('error', failure);
    }
    if (failure !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
    span.end();
  }
}
