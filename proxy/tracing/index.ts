/** Distributed tracing for the proxy: see tracer.ts for the interface and how a request path uses it. */
export { createTracer } from './tracer.js';
export { loadTracer, TRACING_OFF } from './load.js';
export type {
  Direction,
  HeaderReader,
  HeaderWriter,
  HopInfo,
  HopOutcome,
  HopSpan,
  Tracer,
  TracingConfig,
} from './tracer.js';
export { readHeaderObject, readRawHeader, writeHeaderObject, writeRawHeader, type HeaderObject } from './carriers.js';
