import type { Tracer } from './types.js';

/** Tracing off: nothing is read, nothing is exported, nothing of the OpenTelemetry SDK is loaded. */
export const TRACING_OFF: Tracer = Object.freeze({
  enabled: false,
  start: () => undefined,
  counts: Object.freeze({ exported: 0, failed: 0 }),
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});
