import { z } from 'zod';
import { dnsLabel, gatewayDuration, objectMeta, parseGatewayDurationMs } from './meta.js';

/**
 * Gateway API `gateway.networking.k8s.io/v1` HTTPRoute, standard channel limits plus the experimental
 * fields Weir accepts (`retry`, mirror `fraction`, `sessionPersistence`, rule `name`). The CRD's CEL rules
 * are refinements here, so a broken rule names its exact field path.
 */

type Path = PropertyKey[];
type Ctx = z.RefinementCtx;

/** Add a custom issue at `path` (relative to the schema being refined). */
export function fieldIssue(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const SECTION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export const groupName = z.string().max(253).regex(GROUP, 'an API group (a DNS subdomain, or "" for core)');
export const kindName = z.string().min(1).max(63).regex(KIND, 'a kind name like Service');
export const sectionName = z.string().min(1).max(253).regex(SECTION_NAME, 'a section name (a DNS subdomain)');
export const portNumber = z.number().int().min(1).max(65535);

function hostnameSchema(pattern: RegExp, what: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(pattern, what)
    .refine((h) => !IPV4.test(h), { message: 'expected a DNS name, not an IP address' });
}
/** Route hostnames: DNS names, a wildcard only as the whole first label (`*.example.com`), no IPs. */
export const routeHostname = hostnameSchema(HOSTNAME, 'a lowercase DNS name, optionally starting with "*."');
/** Redirect/rewrite hostnames: no wildcard. */
export const preciseHostname = hostnameSchema(PRECISE_HOSTNAME, 'a lowercase DNS name');

export const parentReference = z.looseObject({
  group: groupName.default('gateway.networking.k8s.io'),
  kind: kindName.default('Gateway'),
  namespace: dnsLabel.optional(),
  name: z.string().min(1).max(253),
  sectionName: sectionName.optional(),
  port: portNumber.optional(),
});
export type ParentReference = z.infer<typeof parentReference>;

/** CEL: two refs to the same parent must each set `sectionName` (or `port`, experimental) and differ. */
export function checkParentRefs(refs: ParentReference[], ctx: Ctx): void {
  const ns = (r: ParentReference) => r.namespace ?? '';
  refs.forEach((a, i) => {
    for (let j = 0; j < i; j++) {
      const b = refs[j];
      if (!b || a.group !== b.group || a.kind !== b.kind || a.name !== b.name || ns(a) !== ns(b)) continue;
      const unqualified = (r: ParentReference) => (r.sectionName ?? '') === '' && r.port === undefined;
      if (unqualified(a) || unqualified(b)) {
        fieldIssue(
          ctx,
          [i],
          `sectionName or port must be set when parentRefs names ${a.kind} "${a.name}" more than once`,
        );
      } else if ((a.sectionName ?? '') === (b.sectionName ?? '') && a.port === b.port) {
        fieldIssue(ctx, [i], `duplicate of parentRefs[${j}] (same parent, sectionName and port)`);
      }
      return;
    }
  });
}

export const parentRefs = z.array(parentReference).max(32).superRefine(checkParentRefs);
export const hostnames = z.array(routeHostname).max(16);

export const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, 'an HTTP header name');

const backendRefFields = {
  group: groupName.default(''),
  kind: kindName.default('Service'),
  name: z.string().min(1).max(253),
  namespace: dnsLabel.optional(),
  port: portNumber.optional(),
};

/** CEL: a reference to a core Service must carry a port. */
export function checkServicePort(ref: { group: string; kind: string; port?: number | undefined }, ctx: Ctx): void {
  if (ref.group === '' && ref.kind === 'Service' && ref.port === undefined)
    fieldIssue(ctx, ['port'], 'required when kind is Service');
}

export const backendObjectReference = z.looseObject(backendRefFields).superRefine(checkServicePort);

const headerValue = z.string().min(1).max(4096);

/** HTTPHeaderFilter: one action per header name (case-insensitive) across set, add and remove. */
export const headerModifier = z
  .looseObject({
    set: z
      .array(z.looseObject({ name: headerName, value: headerValue }))
      .max(16)
      .optional(),
    add: z
      .array(z.looseObject({ name: headerName, value: headerValue }))
      .max(16)
      .optional(),
    remove: z.array(headerName).max(16).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, string>();
    const visit = (name: string, path: Path) => {
      const key = name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined)
        fieldIssue(ctx, path, `header "${name}" already has an action (${first}); one action per name`);
      else seen.set(key, `${String(path[0])}[${String(path[1])}]`);
    };
    m.set?.forEach((h, i) => visit(h.name, ['set', i, 'name']));
    m.add?.forEach((h, i) => visit(h.name, ['add', i, 'name']));
    m.remove?.forEach((h, i) => visit(h, ['remove', i]));
  });
export type HTTPHeaderFilter = z.infer<typeof headerModifier>;

const pathModifier = z
  .looseObject({
    type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    const full = p.replaceFullPath !== undefined;
    const prefix = p.replacePrefixMatch !== undefined;
    if (p.type === 'ReplaceFullPath') {
      if (!full) fieldIssue(ctx, ['replaceFullPath'], 'required when type is ReplaceFullPath');
      if (prefix) fieldIssue(ctx, ['replacePrefixMatch'], 'must not be set when type is ReplaceFullPath');
    } else {
      if (!prefix) fieldIssue(ctx, ['replacePrefixMatch'], 'required when type is ReplacePrefixMatch');
      if (full) fieldIssue(ctx, ['replaceFullPath'], 'must not be set when type is ReplacePrefixMatch');
    }
  });
export type HTTPPathModifier = z.infer<typeof pathModifier>;

export const requestMirror = z
  .looseObject({
    backendRef: backendObjectReference,
    percent: z.number().int().min(0).max(100).optional(),
    fraction: z
      .looseObject({ numerator: z.number().int().min(0), denominator: z.number().int().min(1).default(100) })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (m.percent !== undefined && m.fraction !== undefined)
      fieldIssue(ctx, ['fraction'], 'set percent or fraction, not both');
    if (m.fraction && m.fraction.denominator >= 1 && m.fraction.numerator > m.fraction.denominator)
      fieldIssue(
        ctx,
        ['fraction', 'numerator'],
        `must be <= denominator (${m.fraction.denominator}), got ${m.fraction.numerator}`,
      );
  });

const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

const corsFilter = z.looseObject({
  allowOrigins: z.array(z.string().min(1).max(253)).max(64).optional(),
  allowCredentials: z.boolean().optional(),
  allowMethods: z
    .array(z.enum([...httpMethods, '*']))
    .max(9)
    .optional(),
  allowHeaders: z.array(headerName).max(64).optional(),
  exposeHeaders: z.array(headerName).max(64).optional(),
  maxAge: z.number().int().min(1).default(5),
});

/** Filter type -> the field that must hold its configuration (and must be absent otherwise). */
const filterFields = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
} as const;
type FilterType = keyof typeof filterFields;

/** CEL filter union: `<field>` set iff `type == <Type>`. */
export function checkFilterUnion(f: Record<string, unknown> & { type: string }, ctx: Ctx): void {
  for (const [type, field] of Object.entries(filterFields)) {
    const present = f[field] !== undefined && f[field] !== null;
    if (f.type === type && !present) fieldIssue(ctx, [field], `required when type is ${type}`);
    if (f.type !== type && present) fieldIssue(ctx, [field], `must not be set when type is ${f.type}`);
  }
}

/** Filter types that may appear at most once in one filter list. */
const singleFilters: readonly FilterType[] = [
  'CORS',
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
];

/** CEL, per filter list: at most one of each single filter; RequestRedirect and URLRewrite exclusive. */
export function checkFilterList(filters: ReadonlyArray<{ type: string }>, ctx: Ctx): void {
  const seen = new Set<string>();
  filters.forEach((f, i) => {
    if (singleFilters.includes(f.type as FilterType) && seen.has(f.type))
      fieldIssue(ctx, [i, 'type'], `${f.type} may appear at most once in a filter list`);
    seen.add(f.type);
  });
  if (seen.has('RequestRedirect') && seen.has('URLRewrite')) {
    const i = filters.findIndex((f) => f.type === 'URLRewrite');
    fieldIssue(ctx, [i, 'type'], 'RequestRedirect and URLRewrite may not be used in the same filter list');
  }
}

export const localObjectReference = z.looseObject({
  group: groupName,
  kind: kindName,
  name: z.string().min(1).max(253),
});

export const httpRouteFilter = z
  .looseObject({
    type: z.enum(Object.keys(filterFields) as [FilterType, ...FilterType[]]),
    requestHeaderModifier: headerModifier.optional(),
    responseHeaderModifier: headerModifier.optional(),
    requestMirror: requestMirror.optional(),
    requestRedirect: z
      .looseObject({
        scheme: z.enum(['http', 'https']).optional(),
        hostname: preciseHostname.optional(),
        path: pathModifier.optional(),
        port: portNumber.optional(),
        statusCode: z
          .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
          .default(302),
      })
      .optional(),
    urlRewrite: z.looseObject({ hostname: preciseHostname.optional(), path: pathModifier.optional() }).optional(),
    extensionRef: localObjectReference.optional(),
    cors: corsFilter.optional(),
    externalAuth: z.looseObject({}).optional(),
  })
  .superRefine(checkFilterUnion);
export type HTTPRouteFilter = z.infer<typeof httpRouteFilter>;

const httpFilterList = z.array(httpRouteFilter).max(16).superRefine(checkFilterList);

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

const pathMatch = z
  .looseObject({
    type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
    value: z.string().max(1024).default('/'),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'RegularExpression') return;
    const v = p.value;
    if (!v.startsWith('/')) return fieldIssue(ctx, ['value'], `must start with "/", got ${JSON.stringify(v)}`);
    const bad = ['//', '/./', '/../', '%2f', '%2F', '#'].find((s) => v.includes(s));
    if (bad !== undefined) return fieldIssue(ctx, ['value'], `must not contain ${JSON.stringify(bad)}`);
    if (v.endsWith('/..') || v.endsWith('/.')) return fieldIssue(ctx, ['value'], 'must not end with "/.." or "/."');
    if (!PATH_CHARS.test(v))
      fieldIssue(
        ctx,
        ['value'],
        `expected a URL path (letters, digits, "-._~!$&'()*+,;=:@/" or %XX), got ${JSON.stringify(v)}`,
      );
  });

/** List-map keyed by name: the API server rejects two entries with the same name. */
function uniqueNames<T extends { name: string }>(what: string) {
  return (items: T[], ctx: Ctx) => {
    const seen = new Set<string>();
    items.forEach((h, i) => {
      if (seen.has(h.name)) fieldIssue(ctx, [i, 'name'], `duplicate ${what} ${JSON.stringify(h.name)}`);
      seen.add(h.name);
    });
  };
}

export const headerMatch = z.looseObject({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: headerName,
  value: headerValue,
});
export const headerMatches = z.array(headerMatch).max(16).superRefine(uniqueNames('header'));

export const httpRouteMatch = z.looseObject({
  path: pathMatch.default({ type: 'PathPrefix', value: '/' }),
  headers: headerMatches.optional(),
  queryParams: z
    .array(
      z.looseObject({
        type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
        name: headerName,
        value: z.string().min(1).max(1024),
      }),
    )
    .max(16)
    .superRefine(uniqueNames('query parameter'))
    .optional(),
  method: z.enum(httpMethods).optional(),
});
export type HTTPRouteMatch = z.infer<typeof httpRouteMatch>;

export const backendWeight = z.number().int().min(0).max(1_000_000).default(1);

export const httpBackendRef = z
  .looseObject({ ...backendRefFields, weight: backendWeight, filters: httpFilterList.optional() })
  .superRefine(checkServicePort);
export type HTTPBackendRef = z.infer<typeof httpBackendRef>;

export const sessionPersistence = z
  .looseObject({
    sessionName: z.string().max(128).optional(),
    absoluteTimeout: gatewayDuration.optional(),
    idleTimeout: gatewayDuration.optional(),
    type: z.enum(['Cookie', 'Header']).default('Cookie'),
    cookieConfig: z.looseObject({ lifetimeType: z.enum(['Permanent', 'Session']).default('Session') }).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.cookieConfig?.lifetimeType === 'Permanent' && s.absoluteTimeout === undefined)
      fieldIssue(ctx, ['absoluteTimeout'], 'required when cookieConfig.lifetimeType is Permanent');
  });

const timeouts = z
  .looseObject({ request: gatewayDuration.optional(), backendRequest: gatewayDuration.optional() })
  .superRefine((t, ctx) => {
    if (t.request === undefined || t.backendRequest === undefined) return;
    const request = parseGatewayDurationMs(t.request) ?? 0;
    const backend = parseGatewayDurationMs(t.backendRequest) ?? 0;
    if (request !== 0 && backend > request)
      fieldIssue(ctx, ['backendRequest'], `must not be longer than request (${t.request}), got ${t.backendRequest}`);
  });

function usesReplacePrefixMatch(filters: HTTPRouteFilter[] | undefined): boolean {
  return (filters ?? []).some(
    (f) =>
      (f.type === 'RequestRedirect' && f.requestRedirect?.path?.type === 'ReplacePrefixMatch') ||
      (f.type === 'URLRewrite' && f.urlRewrite?.path?.type === 'ReplacePrefixMatch'),
  );
}

export const httpRouteRule = z
  .looseObject({
    name: sectionName.optional(),
    matches: z
      .array(httpRouteMatch)
      .max(64)
      .default([{ path: { type: 'PathPrefix', value: '/' } }]),
    filters: httpFilterList.optional(),
    backendRefs: z.array(httpBackendRef).max(16).optional(),
    timeouts: timeouts.optional(),
    retry: z
      .looseObject({
        codes: z.array(z.number().int().min(400).max(599)).optional(),
        attempts: z.number().int().min(0).optional(),
        backoff: gatewayDuration.optional(),
      })
      .optional(),
    sessionPersistence: sessionPersistence.optional(),
  })
  .superRefine((rule, ctx) => {
    const redirect = (rule.filters ?? []).findIndex((f) => f.type === 'RequestRedirect');
    if (redirect >= 0 && (rule.backendRefs?.length ?? 0) > 0)
      fieldIssue(ctx, ['filters', redirect], 'a RequestRedirect filter must not be combined with backendRefs');
    const prefixRewrite =
      usesReplacePrefixMatch(rule.filters) || (rule.backendRefs ?? []).some((b) => usesReplacePrefixMatch(b.filters));
    if (prefixRewrite && (rule.matches.length !== 1 || rule.matches[0]?.path.type !== 'PathPrefix'))
      fieldIssue(
        ctx,
        ['matches'],
        'ReplacePrefixMatch needs exactly one match, and it must be a PathPrefix path match',
      );
  });
export type HTTPRouteRule = z.infer<typeof httpRouteRule>;

/** Route-wide limits shared with GRPCRoute: at most 128 matches over all rules; unique rule names. */
export function checkRules(rules: ReadonlyArray<{ name?: string | undefined; matches?: unknown[] }>, ctx: Ctx): void {
  const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (total > 128) fieldIssue(ctx, [], `expected at most 128 matches over all rules, got ${total}`);
  const names = new Set<string>();
  rules.forEach((r, i) => {
    if (r.name === undefined) return;
    if (names.has(r.name)) fieldIssue(ctx, [i, 'name'], `duplicate rule name ${JSON.stringify(r.name)}`);
    names.add(r.name);
  });
}

export const httpRouteSchema = z.looseObject({
  apiVersion: z.enum(['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1']),
  kind: z.literal('HTTPRoute'),
  metadata: objectMeta,
  spec: z.looseObject({
    parentRefs: parentRefs.optional(),
    hostnames: hostnames.optional(),
    useDefaultGateways: z.enum(['All', 'None']).optional(),
    rules: z
      .array(httpRouteRule)
      .min(1)
      .max(16)
      .superRefine(checkRules)
      .default([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]),
  }),
  status: z.looseObject({}).optional(),
});
export type HTTPRoute = z.infer<typeof httpRouteSchema>;
