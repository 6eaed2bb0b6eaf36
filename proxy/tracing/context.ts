/**
 * Trace context propagation, as linkerd2-proxy's `trace-context` crate reads and writes it: W3C Trace
 * Context (`traceparent`), B3 single header (`b3`) and B3 multi-header (`x-b3-*`). Pure functions, no I/O.
 *
 * Strict: an id must be lower-case hex of the right length and not all zeros, a W3C version must be two
 * lower-case hex digits other than `ff`, a B3 sampling state must be one the spec names. Anything else is
 * not a trace context (the caller forwards it untouched), never an exception.
 *
 * Every `parse*` first validates the value with `charCodeAt` loops and allocates (the result, its substrings)
 * only for a valid context, and `extractSampled` allocates nothing unless the context is valid *and* sampled:
 * an unsampled or absent context costs a few header lookups.
 */

/** The propagation format a context came in, and in which it is written back. */
export type TraceFormat = 'w3c' | 'b3-single' | 'b3-multi';

export interface TraceContext {
  readonly format: TraceFormat;
  /** as received: 32 lower-case hex digits, or 16 for a B3 64-bit trace id */
  readonly traceId: string;
  /** the caller's span id (16 lower-case hex digits): the parent of the proxy's span for this hop */
  readonly parentSpanId: string;
  readonly sampled: boolean;
  /** B3 debug (`b3: …-d`, `x-b3-flags: 1`), which implies sampled; always false for W3C */
  readonly debug: boolean;
  /** the W3C trace-flags byte as received (forwarded as is); for B3, 1 when sampled, else 0 */
  readonly flags: number;
}

/** Reads one request header by its lower-case name (first value if repeated); `carrier` is the caller's headers. */
export type HeaderReader<C> = (carrier: C, name: string) => string | undefined;

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const B3 = 'b3';
export const B3_TRACE_ID = 'x-b3-traceid';
export const B3_SPAN_ID = 'x-b3-spanid';
export const B3_PARENT_SPAN_ID = 'x-b3-parentspanid';
export const B3_SAMPLED = 'x-b3-sampled';
export const B3_FLAGS = 'x-b3-flags';

const SPAN_ID_LENGTH = 16;
const TRACE_ID_LENGTH = 32;
const TRACEPARENT_LENGTH = 55; // 00-<32>-<16>-<2>
const DASH = 0x2d;

/** value of a lower-case hex digit, -1 for anything else */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;

function hexDigit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? (HEX[c] as number) : -1;
}

/** `s[start, end)` is lower-case hex and not all zeros */
function isId(s: string, start: number, end: number): boolean {
  let nonZero = false;
  for (let i = start; i < end; i++) {
    const d = hexDigit(s, i);
    if (d < 0) return false;
    if (d !== 0) nonZero = true;
  }
  return nonZero;
}

function isWholeId(s: string, length: number): boolean {
  return s.length === length && isId(s, 0, length);
}

function isTraceId(s: string): boolean {
  return isWholeId(s, TRACE_ID_LENGTH) || isWholeId(s, SPAN_ID_LENGTH);
}

// ---------------------------------------------------------------- W3C traceparent

/** `version-traceid-parentid-flags`; versions above 00 may append `-…` fields, which are ignored */
function isValidTraceparent(v: string): boolean {
  if (v.length < TRACEPARENT_LENGTH) return false;
  const hi = hexDigit(v, 0);
  const lo = hexDigit(v, 1);
  if (hi < 0 || lo < 0 || (hi === 15 && lo === 15)) return false;
  const version = hi * 16 + lo;
  if (version === 0 ? v.length !== TRACEPARENT_LENGTH : v.length > TRACEPARENT_LENGTH && v.charCodeAt(55) !== DASH) {
    return false;
  }
  return (
    v.charCodeAt(2) === DASH &&
    isId(v, 3, 35) &&
    v.charCodeAt(35) === DASH &&
    isId(v, 36, 52) &&
    v.charCodeAt(52) === DASH &&
    hexDigit(v, 53) >= 0 &&
    hexDigit(v, 54) >= 0
  );
}

function traceparentFlags(v: string): number {
  return hexDigit(v, 53) * 16 + hexDigit(v, 54);
}

function buildTraceparent(v: string): TraceContext {
  const flags = traceparentFlags(v);
  return {
    format: 'w3c',
    traceId: v.slice(3, 35),
    parentSpanId: v.slice(36, 52),
    sampled: (flags & 1) === 1,
    debug: false,
    flags,
  };
}

export function parseTraceparent(value: string): TraceContext | undefined {
  return isValidTraceparent(value) ? buildTraceparent(value) : undefined;
}

/** The `traceparent` for the next hop (always version 00, as the spec asks of a participant that rewrites it). */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}

// ---------------------------------------------------------------- B3

const NOT_A_CONTEXT = -1;
const DEFERRED = 0; // no decision, or "do not sample": the proxy never samples on its own
const SAMPLED = 1;
const DEBUG = 2;

/** `traceid-spanid[-state[-parentspanid]]`: NOT_A_CONTEXT, DEFERRED, SAMPLED or DEBUG (bare `0`/`1`/`d`: no ids) */
function b3SingleState(v: string): number {
  const t = v.length > 32 && v.charCodeAt(32) === DASH ? 32 : v.length > 16 && v.charCodeAt(16) === DASH ? 16 : 0;
  if (t === 0 || !isId(v, 0, t)) return NOT_A_CONTEXT;
  const spanEnd = t + 1 + SPAN_ID_LENGTH;
  if (v.length < spanEnd || !isId(v, t + 1, spanEnd)) return NOT_A_CONTEXT;
  if (v.length === spanEnd) return DEFERRED;
  if (v.charCodeAt(spanEnd) !== DASH || v.length < spanEnd + 2) return NOT_A_CONTEXT;
  const state = samplingChar(v.charCodeAt(spanEnd + 1));
  if (state === NOT_A_CONTEXT) return NOT_A_CONTEXT;
  const parentStart = spanEnd + 3;
  if (v.length === spanEnd + 2) return state;
  if (v.charCodeAt(spanEnd + 2) !== DASH || v.length !== parentStart + SPAN_ID_LENGTH) return NOT_A_CONTEXT;
  return isId(v, parentStart, v.length) ? state : NOT_A_CONTEXT;
}

function samplingChar(c: number): number {
  if (c === 0x30) return DEFERRED; // '0'
  if (c === 0x31) return SAMPLED; // '1'
  if (c === 0x64) return DEBUG; // 'd'
  return NOT_A_CONTEXT;
}

function b3Context(format: TraceFormat, traceId: string, spanId: string, state: number): TraceContext {
  return {
    format,
    traceId,
    parentSpanId: spanId,
    sampled: state !== DEFERRED,
    debug: state === DEBUG,
    flags: state === DEFERRED ? 0 : 1,
  };
}

function buildB3Single(v: string, state: number): TraceContext {
  const t = v.charCodeAt(32) === DASH ? 32 : 16;
  return b3Context('b3-single', v.slice(0, t), v.slice(t + 1, t + 1 + SPAN_ID_LENGTH), state);
}

export function parseB3Single(value: string): TraceContext | undefined {
  const state = b3SingleState(value);
  return state === NOT_A_CONTEXT ? undefined : buildB3Single(value, state);
}

/** The `b3` header for the next hop: same trace id and sampling state, the proxy's span, the caller's as parent. */
export function formatB3Single(context: TraceContext, spanId: string): string {
  const state = context.debug ? 'd' : context.sampled ? '1' : '0';
  return `${context.traceId}-${spanId}-${state}-${context.parentSpanId}`;
}

/** The x-b3-* header values: NOT_A_CONTEXT, DEFERRED, SAMPLED or DEBUG. */
function b3MultiState(
  traceId: string | undefined,
  spanId: string | undefined,
  parentSpanId: string | undefined,
  sampled: string | undefined,
  flags: string | undefined,
): number {
  if (traceId === undefined || spanId === undefined || !isTraceId(traceId) || !isWholeId(spanId, SPAN_ID_LENGTH)) {
    return NOT_A_CONTEXT;
  }
  if (parentSpanId !== undefined && !isWholeId(parentSpanId, SPAN_ID_LENGTH)) return NOT_A_CONTEXT;
  let state = DEFERRED;
  if (sampled !== undefined) {
    if (sampled === '1' || sampled === 'true') state = SAMPLED;
    else if (sampled !== '0' && sampled !== 'false') return NOT_A_CONTEXT;
  }
  if (flags !== undefined) {
    if (flags === '1') state = DEBUG;
    else if (flags !== '0') return NOT_A_CONTEXT;
  }
  return state;
}

/** B3 multi-header values (as read from `x-b3-traceid`, `-spanid`, `-parentspanid`, `-sampled`, `-flags`). */
export function parseB3Multi(
  traceId: string | undefined,
  spanId: string | undefined,
  parentSpanId?: string,
  sampled?: string,
  flags?: string,
): TraceContext | undefined {
  const state = b3MultiState(traceId, spanId, parentSpanId, sampled, flags);
  return state === NOT_A_CONTEXT ? undefined : b3Context('b3-multi', traceId as string, spanId as string, state);
}

// ---------------------------------------------------------------- extraction

/**
 * The request's trace context if it has one and it is sampled, else undefined. Formats are tried in
 * linkerd2-proxy's order, W3C first, then B3 (single, then multi); a format that is present but invalid
 * is skipped, the first valid one decides (sampled or not).
 */
export function extractSampled<C>(carrier: C, read: HeaderReader<C>): TraceContext | undefined {
  const tp = read(carrier, TRACEPARENT);
  if (tp !== undefined && isValidTraceparent(tp)) {
    return (traceparentFlags(tp) & 1) === 1 ? buildTraceparent(tp) : undefined;
  }
  const single = read(carrier, B3);
  if (single !== undefined) {
    const state = b3SingleState(single);
    if (state !== NOT_A_CONTEXT) return state === DEFERRED ? undefined : buildB3Single(single, state);
  }
  const traceId = read(carrier, B3_TRACE_ID);
  if (traceId === undefined) return undefined;
  const spanId = read(carrier, B3_SPAN_ID);
  const sampled = read(carrier, B3_SAMPLED);
  const flags = read(carrier, B3_FLAGS);
  if (sampled !== '1' && sampled !== 'true' && flags !== '1') return undefined; // no allocation when unsampled
  const state = b3MultiState(traceId, spanId, read(carrier, B3_PARENT_SPAN_ID), sampled, flags);
  return state === NOT_A_CONTEXT ? undefined : b3Context('b3-multi', traceId, spanId as string, state);
}

/**
 * The contexts in the *other* formats that the request also carries for the same trace (a client with several
 * propagators, e.g. W3C and B3), so that every format is rewritten to name the proxy's span. Only called for a
 * sampled request.
 */
export function companionContexts<C>(carrier: C, read: HeaderReader<C>, primary: TraceContext): TraceContext[] {
  const found: TraceContext[] = [];
  const tp = read(carrier, TRACEPARENT);
  if (tp !== undefined) addCompanion(found, primary, parseTraceparent(tp));
  const single = read(carrier, B3);
  if (single !== undefined) addCompanion(found, primary, parseB3Single(single));
  const traceId = read(carrier, B3_TRACE_ID);
  if (traceId !== undefined) {
    const spanId = read(carrier, B3_SPAN_ID);
    const parent = read(carrier, B3_PARENT_SPAN_ID);
    addCompanion(
      found,
      primary,
      parseB3Multi(traceId, spanId, parent, read(carrier, B3_SAMPLED), read(carrier, B3_FLAGS)),
    );
  }
  return found;
}

function addCompanion(found: TraceContext[], primary: TraceContext, c: TraceContext | undefined): void {
  if (c !== undefined && c.format !== primary.format && exportTraceId(c.traceId) === exportTraceId(primary.traceId)) {
    found.push(c);
  }
}

/**
 * The headers to set on the forwarded request, as flat `[name, value, ...]` pairs: the context in the format it
 * came in, carrying `spanId` (the proxy's span) with the caller's span as its parent. `tracestate`, the B3 trace
 * id, sampling and flags headers are left as they are.
 */
export function propagationHeaders(context: TraceContext, spanId: string): string[] {
  switch (context.format) {
    case 'w3c':
      return [TRACEPARENT, formatTraceparent(context.traceId, spanId, context.flags)];
    case 'b3-single':
      return [B3, formatB3Single(context, spanId)];
    case 'b3-multi':
      return [B3_SPAN_ID, spanId, B3_PARENT_SPAN_ID, context.parentSpanId];
  }
}

/** The trace id as OpenTelemetry exports it: 32 hex digits (a B3 64-bit id is left-padded with zeros). */
export function exportTraceId(traceId: string): string {
  return traceId.length === TRACE_ID_LENGTH ? traceId : traceId.padStart(TRACE_ID_LENGTH, '0');
}
