import {
  parseDurationMs,
  type Canary,
  type HTTPHeaderFilter,
  type HTTPRouteFilter,
} from '../../engine/resources/index.js';

type CanaryService = Canary['spec']['service'];
type HeaderOperations = NonNullable<NonNullable<CanaryService['headers']>['request']>;

/**
 * The filters Flagger's Gateway API router puts on every rule it writes (`makeFilters` in
 * `pkg/router/gateway_api.go`), in its order: `service.headers.request` -> RequestHeaderModifier,
 * `service.headers.response` -> ResponseHeaderModifier (entries sorted by name), `service.rewrite` ->
 * URLRewrite (`authority` -> hostname; `uri` -> ReplacePrefixMatch when `type` says so, else
 * ReplaceFullPath), each `service.mirror[]` -> RequestMirror, `service.corsPolicy` -> CORS
 * (`allowOrigin` -> allowOrigins, `maxAge` Go duration -> seconds; the Istio StringMatch list
 * `allowOrigins` has no Gateway API form and is left out, as Flagger does, with a warning: see
 * `canaryWarnings`).
 */
export function serviceFilters(svc: CanaryService): HTTPRouteFilter[] {
  const out: HTTPRouteFilter[] = [];
  const request = svc.headers?.request && headerFilter(svc.headers.request);
  if (request !== undefined) out.push({ type: 'RequestHeaderModifier', requestHeaderModifier: request });
  const response = svc.headers?.response && headerFilter(svc.headers.response);
  if (response !== undefined) out.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: response });
  const rw = svc.rewrite;
  if (rw !== undefined && (rw.authority || rw.uri)) {
    const urlRewrite: NonNullable<HTTPRouteFilter['urlRewrite']> = {};
    if (rw.authority) urlRewrite.hostname = rw.authority;
    if (rw.uri) {
      urlRewrite.path =
        rw.type === 'ReplacePrefixMatch'
          ? { type: 'ReplacePrefixMatch', replacePrefixMatch: rw.uri }
          : { type: 'ReplaceFullPath', replaceFullPath: rw.uri };
    }
    out.push({ type: 'URLRewrite', urlRewrite });
  }
  for (const m of svc.mirror ?? []) {
    out.push({ type: 'RequestMirror', requestMirror: { backendRef: structuredClone(m.backendRef) } });
  }
  const cors = svc.corsPolicy;
  if (cors !== undefined) {
    const maxAgeMs = cors.maxAge !== undefined ? parseDurationMs(cors.maxAge) : undefined;
    const maxAge = maxAgeMs !== undefined && maxAgeMs >= 1000 ? Math.floor(maxAgeMs / 1000) : 5;
    out.push({
      type: 'CORS',
      cors: {
        ...(cors.allowOrigin?.length ? { allowOrigins: [...cors.allowOrigin] } : {}),
        ...(cors.allowMethods?.length
          ? { allowMethods: cors.allowMethods as NonNullable<HTTPRouteFilter['cors']>['allowMethods'] }
          : {}),
        ...(cors.allowHeaders?.length ? { allowHeaders: [...cors.allowHeaders] } : {}),
        ...(cors.exposeHeaders?.length ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
        ...(cors.allowCredentials ? { allowCredentials: true } : {}),
        maxAge,
      },
    });
  }
  return out;
}

function headerFilter(ops: HeaderOperations): HTTPHeaderFilter | undefined {
  const sorted = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const f: HTTPHeaderFilter = {};
  const add = sorted(ops.add);
  const set = sorted(ops.set);
  if (add.length > 0) f.add = add;
  if (set.length > 0) f.set = set;
  if (ops.remove?.length) f.remove = [...ops.remove];
  return Object.keys(f).length > 0 ? f : undefined;
}

/**
 * `filters` with one more response header added: into the list's ResponseHeaderModifier when it has
 * one (the Gateway API allows one per list), else as a new one.
 */
export function withResponseHeader(filters: HTTPRouteFilter[], name: string, value: string): HTTPRouteFilter[] {
  const i = filters.findIndex((f) => f.type === 'ResponseHeaderModifier');
  if (i < 0)
    return [...filters, { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name, value }] } }];
  const f = filters[i]!;
  const m = f.responseHeaderModifier ?? {};
  const merged: HTTPRouteFilter = { ...f, responseHeaderModifier: { ...m, add: [...(m.add ?? []), { name, value }] } };
  return filters.map((x, j) => (j === i ? merged : x));
}
