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

/** Go-style durations as Flagger writes them: `30s`, `1m`, `1m30s`, `500ms`, `1h`. */
const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
export function parseDurationMs(value: string): number | undefined {
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(durationPart)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return total;
}

/** JSON-ish rendering of a value for messages: strings quoted, objects named. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export const goDuration = z.string().superRefine((v, ctx) => {
  if (parseDurationMs(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 1m or 500ms, got ${describeValue(v)}` });
});

/** Flagger's interval pattern `^[0-9]+(m|s)`, deliberately unanchored at the end as in the CRD. */
export const flaggerInterval = z.string().regex(/^[0-9]+(m|s)/, 'an interval like 30s or 1m');

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
