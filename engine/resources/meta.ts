import { z } from 'zod';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1123 label/subdomain-ish names as Kubernetes accepts them for most kinds. */
export const dnsSubdomain = z.string().min(1).max(253).regex(DNS_SUBDOMAIN, 'a lowercase DNS subdomain name');

/** DNS-1123 label: namespaces, Gateway API namespaces, port names. */
export const dnsLabel = z.string().min(1).max(63).regex(DNS_LABEL, 'a lowercase DNS label');

export const stringMap = z.record(z.string(), z.string());

export const objectMeta = z.looseObject({
  name: dnsSubdomain,
  namespace: dnsLabel.default('default'),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  /** keys that hold a deleted object until each is removed (Kubernetes finalizers) */
  finalizers: z.array(z.string().min(1)).optional(),
  /** set by the store when an object with finalizers is deleted; the object goes once they are all gone */
  deletionTimestamp: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** The part every resource shares. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/** Milliseconds per unit of Go's `time.ParseDuration` (`us` also as `µs` U+00B5 and `μs` U+03BC). */
const GO_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  '\u00b5s': 1e-3,
  '\u03bcs': 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
/** Go's largest duration, 2^63-1 ns, in ms. */
const GO_MAX_DURATION_MS = 9_223_372_036_854.775;
const GO_DURATION = /^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const GO_DURATION_PART = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;

/**
 * A duration in Go's `time.ParseDuration` syntax, in milliseconds (fractional below 1 ms): an optional sign,
 * then `0`, or a sequence of decimal numbers, each with an optional fraction and a unit of `ns`, `us` (`µs`),
 * `ms`, `s`, `m`, `h` (`300ms`, `-1.5h`, `2h45m`, `500us`). `undefined` when malformed or beyond Go's range
 * (about 290 years). Negative values parse; the schemas reject them where a field must not be negative.
 */
export function parseDurationMs(value: string): number | undefined {
  let s = value;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (!GO_DURATION.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(GO_DURATION_PART)) total += Number(m[1]) * GO_UNITS_MS[m[2]!]!;
  if (total > GO_MAX_DURATION_MS) return undefined;
  return sign * total === 0 ? 0 : sign * total;
}

/** the longest string value quoted whole in an error message */
const MAX_QUOTED = 80;

/** JSON-ish rendering of a value for messages: strings quoted (long ones cut), objects named. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  // a long value is cut, so an error stays one readable line
  if (typeof v === 'string')
    return v.length > MAX_QUOTED
      ? `${JSON.stringify(v.slice(0, MAX_QUOTED))}... (${v.length} characters)`
      : JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/**
 * A non-negative Go duration (`time.ParseDuration` syntax in full: `0`, `500us`, `1.5s`, `1h30m`), as
 * Flagger reads every duration of a Canary. Flagger's CRD narrows `interval` and webhook `timeout` to the
 * pattern `^[0-9]+(m|s)` (unanchored at the end, so `30sX` passes it and is then read as the 60 s default);
 * Weir takes what Go parses, and rejects what it does not instead of defaulting.
 */
export const goDuration = z.string().superRefine((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms === undefined)
    ctx.addIssue({
      code: 'custom',
      message: `expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got ${describeValue(v)}`,
    });
  else if (ms < 0) ctx.addIssue({ code: 'custom', message: `must not be negative, got ${describeValue(v)}` });
});

const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** Gateway API GEP-2257 duration: 1-4 components of 1-5 digits with h|m|s|ms. `0s` disables. */
export const gatewayDuration = z.string().regex(GATEWAY_DURATION, 'a Gateway API duration like 10s, 500ms or 1m30s');

/** Milliseconds of a GEP-2257 duration (units may repeat and are summed), undefined when malformed. */
export function parseGatewayDurationMs(value: string): number | undefined {
  if (!GATEWAY_DURATION.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/([0-9]{1,5})(h|ms|m|s)/g)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return total;
}

/** An IANA service name as Kubernetes wants for port names: <= 15 of [a-z0-9-], a letter, no "--". */
export function isPortName(s: string): boolean {
  return s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

/** Kubernetes int-or-string ports: a number 1..65535 or an IANA service name (`http`, `grpc-web`). */
export const intOrStringPort = z.union([
  z.number().int().min(1).max(65535),
  z.string().superRefine((s, ctx) => {
    if (!isPortName(s))
      ctx.addIssue({
        code: 'custom',
        message: `expected a port name (up to 15 lowercase letters, digits and "-"), got ${describeValue(s)}`,
      });
  }),
]);

/** A finding about one field of a valid document: `path` dotted as in errors, e.g. `spec.provider`. */
export interface FieldWarning {
  path: string;
  message: string;
}

/** Set on objects a Weir controller generates (primary Deployments, generated Services, owned HTTPRoutes). */
export const ANNOTATION_MANAGED_BY = 'weir.dev/managed-by';
