import type { RouteWeights, SessionCookies } from '../../engine/canary/index.js';
import {
  analysisIntervalMs,
  cookieMatchRegex,
  expireCookieValue,
  getAnalysis,
  sessionCookiesOf,
  setCookieValue,
  strategyOf,
} from '../../engine/canary/index.js';
import {
  parseDurationMs,
  type Canary,
  type CanaryMatch,
  type HTTPBackendRef,
  type HTTPRoute,
  type HTTPRouteFilter,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  type ParentReference,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { SOURCE_LABELS_ANNOTATION } from '../../engine/routing/index.js';
import {
  mirrorDiffFromAnnotations,
  ROUTE_ANNOTATION as MIRROR_DIFF_ROUTE_ANNOTATION,
  type MirrorDiffConfig,
} from '../../engine/mirror-diff/index.js';
import type { Router } from './router.js';
import { mainPort, routeNames, type RouteNames, type RoutedPort } from './routed-ports.js';
import { laneHeaderMatch } from './lane-rule.js';
import { readWeights, routesToPrimary, writeRoute } from './route-object.js';
import { serviceFilters, withResponseHeader } from './service-filters.js';

type StringMatch = { exact?: string; prefix?: string; suffix?: string; regex?: string };

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Istio-style string match -> Gateway API `Exact` / `RegularExpression` (prefix and suffix become regexes). */
function valueMatch(m: StringMatch): { type: 'Exact' | 'RegularExpression'; value: string } | undefined {
  if (m.exact !== undefined) return { type: 'Exact', value: m.exact };
  if (m.regex !== undefined) return { type: 'RegularExpression', value: m.regex };
  if (m.prefix !== undefined) return { type: 'RegularExpression', value: `^${escapeRegex(m.prefix)}.*` };
  if (m.suffix !== undefined) return { type: 'RegularExpression', value: `.*${escapeRegex(m.suffix)}$` };
  return undefined;
}

/** One Flagger/Istio `HTTPMatchRequest` as a Gateway API `HTTPRouteMatch` (reference 1.2 `service.match`). */
export function toGatewayMatch(m: CanaryMatch): HTTPRouteMatch {
  const out: Partial<HTTPRouteMatch> = {};
  const uri = m.uri as StringMatch | undefined;
  if (uri?.exact !== undefined) out.path = { type: 'Exact', value: uri.exact };
  else if (uri?.prefix !== undefined) out.path = { type: 'PathPrefix', value: uri.prefix };
  else if (uri?.regex !== undefined) out.path = { type: 'RegularExpression', value: uri.regex };
  else out.path = { type: 'PathPrefix', value: '/' };
  const method = (m.method as StringMatch | undefined)?.exact;
  if (method !== undefined) out.method = method.toUpperCase() as HTTPRouteMatch['method'];
  const headers = Object.entries(m.headers ?? {})
    .map(([name, v]) => ({ name, ...valueMatch(v as StringMatch) }))
    .filter((h): h is { name: string; type: 'Exact' | 'RegularExpression'; value: string } => h.value !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (headers.length > 0) out.headers = headers;
  const query = Object.entries(m.queryParams ?? {})
    .map(([name, v]) => ({ name, ...valueMatch(v as StringMatch) }))
    .filter((h): h is { name: string; type: 'Exact' | 'RegularExpression'; value: string } => h.value !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (query.length > 0) out.queryParams = query;
  return out as HTTPRouteMatch;
}

/** A/B: each analysis match combined with each service match (headers and query params added together). */
function mergeMatches(analysis: HTTPRouteMatch[], service: HTTPRouteMatch[]): HTTPRouteMatch[] {
  if (service.length === 0) return analysis;
  const out: HTTPRouteMatch[] = [];
  for (const a of analysis) {
    for (const s of service) {
      const m: HTTPRouteMatch = { ...s };
      const headers = [...(s.headers ?? []), ...(a.headers ?? [])];
      const query = [...(s.queryParams ?? []), ...(a.queryParams ?? [])];
      if (headers.length > 0) m.headers = headers;
      if (query.length > 0) m.queryParams = query;
      if (a.method !== undefined) m.method = a.method;
      out.push(m);
    }
  }
  return out;
}

/** Go duration (`service.timeout`) -> Gateway API duration (`10s`, `1500ms`). */
function gatewayDuration(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 0) return undefined;
  // GEP-2257 (1-4 components of at most 5 digits): whole seconds as `s`, else `ms`, else h/m/s/ms components;
  // a sub-millisecond rest rounds up so that a non-zero timeout stays one
  let rest = Math.ceil(ms);
  if (rest % 1000 === 0 && rest / 1000 <= 99_999) return `${rest / 1000}s`;
  if (rest <= 99_999) return `${rest}ms`;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out;
}

const defaultMatch: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

/**
 * Flagger's Gateway API router (reference 3.14): the HTTPRoute named after the apex Service in the canary's
 * namespace, parentRefs = `service.gatewayRefs`, one weighted rule `[<svc>-primary, <svc>-canary]` on the
 * service port with the timeouts, default match `PathPrefix /`; A/B adds the analysis match to the weighted
 * rule and a primary-only rule after it; mirroring (blue/green, and the canary strategy's mirrored step) adds a
 * `RequestMirror` to the canary Service; session affinity adds cookie rules before the weighted one (`desired`).
 *
 * Weir difference: without `gatewayRefs` the route attaches to the apex Service itself (GAMMA, `group: core,
 * kind: Service`), where Flagger refuses ("GatewayRefs must be specified").
 */
export class GatewayHTTPRouteRouter implements Router {
  constructor(
    private readonly store: ResourceStore,
    /** the Service port this router splits (default `service.port`; see `routedPorts` for multi-port canaries) */
    private readonly portOf: (canary: Canary) => RoutedPort = mainPort,
  ) {}

  private names(canary: Canary): RouteNames {
    return routeNames(canary, this.portOf(canary));
  }

  private current(canary: Canary): HTTPRoute | undefined {
    return this.store.get<HTTPRoute>('HTTPRoute', canary.metadata.namespace, this.names(canary).route);
  }

  /**
   * The route this canary should have, with the given weights, mirroring and session-affinity cookies.
   *
   * Mirroring (`weights.mirrored`): a `RequestMirror` filter to `<svc>-canary:port` (with `percent` =
   * `analysis.mirrorWeight` when that is below 100). While all traffic goes to the primary it is a rule
   * filter, as Flagger writes it; with a split it sits on the primary's backendRef, so that only requests
   * served by the primary are copied (the canary already sees its own share).
   *
   * Session affinity (reference 3.13; canary and blue/green, not A/B): with a canary cookie and canary weight,
   * rules are `[sticky canary, (sticky primary), weighted]`: requests whose `Cookie` carries the canary cookie
   * go 100% to the canary; with `primaryCookieName` those carrying the primary cookie 100% to the primary; on
   * the weighted rule each backendRef answers with a `Set-Cookie` for its cookie (canary: `maxAge`; primary:
   * one analysis interval, so a user served by the primary is re-rolled at the next step). At weight 0 with a
   * previous run's cookie, a first rule routes it like everyone else and expires it (`Max-Age=-1`).
   */
  desired(
    canary: Canary,
    weights: RouteWeights,
    existing?: HTTPRoute,
    cookies: SessionCookies = {},
    lane?: string,
  ): HTTPRoute {
    const n = this.names(canary);
    const svc = canary.spec.service;
    const parentRefs: ParentReference[] = svc.gatewayRefs?.length
      ? structuredClone(svc.gatewayRefs)
      : [{ group: 'core', kind: 'Service', name: n.apex, port: n.port }];
    const serviceMatches = (svc.match ?? []).map((m) => toGatewayMatch(m as CanaryMatch));
    const matches = serviceMatches.length > 0 ? serviceMatches : [defaultMatch];
    const timeouts: HTTPRouteRule['timeouts'] = {};
    const request = gatewayDuration(svc.timeout);
    const backendRequest = gatewayDuration(svc.backendTimeout);
    if (request !== undefined) timeouts.request = request;
    if (backendRequest !== undefined) timeouts.backendRequest = backendRequest;
    const analysis = getAnalysis(canary);
    const ref = (name: string, weight: number, filters: HTTPRouteFilter[] = []): HTTPBackendRef => ({
      group: '',
      kind: 'Service',
      name,
      port: n.port,
      weight,
      ...(filters.length > 0 ? { filters } : {}),
    });
    const mirror: HTTPRouteFilter = {
      type: 'RequestMirror',
      requestMirror: {
        backendRef: { group: '', kind: 'Service', name: n.canary, port: n.port },
        ...(analysis?.mirrorWeight !== undefined && analysis.mirrorWeight < 100
          ? { percent: analysis.mirrorWeight }
          : {}),
      },
    };
    // the service's own filters (headers, rewrite, mirrors, CORS) on every rule, then the mirror to the canary
    const svcFilters = serviceFilters(svc);
    const ruleFilters: HTTPRouteFilter[] = [...svcFilters];
    const primaryFilters: HTTPRouteFilter[] = [];
    const canaryFilters: HTTPRouteFilter[] = [];
    if (weights.mirrored) {
      if (weights.primary > 0 && weights.canary > 0) primaryFilters.push(mirror);
      else ruleFilters.push(mirror);
    }
    const withTimeouts = Object.keys(timeouts).length > 0 ? { timeouts } : {};
    const rule = (ms: HTTPRouteMatch[], backendRefs: HTTPBackendRef[], filters: HTTPRouteFilter[]): HTTPRouteRule => ({
      matches: ms,
      ...(filters.length > 0 ? { filters } : {}),
      backendRefs,
      ...withTimeouts,
    });

    const strategy = strategyOf(analysis);
    const affinity = strategy === 'ab-testing' ? undefined : analysis?.sessionAffinity;
    const sticky: HTTPRouteRule[] = [];
    const cookieMatches = (cookie: string) =>
      mergeMatches(
        [{ path: { type: 'PathPrefix', value: '/' }, headers: [cookieHeaderMatch(cookie)] }],
        serviceMatches,
      );
    if (affinity && weights.canary > 0 && cookies.canary) {
      const interval = Math.round(analysisIntervalMs(canary) / 1000);
      canaryFilters.push(setCookieFilter(setCookieValue(cookies.canary, affinity.maxAge, affinity)));
      sticky.push(rule(cookieMatches(cookies.canary), [ref(n.primary, 0), ref(n.canary, 100)], ruleFilters));
      if (cookies.primary) {
        primaryFilters.push(setCookieFilter(setCookieValue(cookies.primary, interval, affinity)));
        sticky.push(rule(cookieMatches(cookies.primary), [ref(n.primary, 100), ref(n.canary, 0)], ruleFilters));
      }
    } else if (affinity && cookies.previous) {
      sticky.push(
        rule(
          cookieMatches(cookies.previous),
          [ref(n.primary, weights.primary, primaryFilters), ref(n.canary, weights.canary)],
          withResponseHeader(ruleFilters, 'Set-Cookie', expireCookieValue(cookies.previous, affinity)),
        ),
      );
    }
    const weighted = rule(
      matches,
      [ref(n.primary, weights.primary, primaryFilters), ref(n.canary, weights.canary, canaryFilters)],
      ruleFilters,
    );
    // coordinated canaries: the lane to the canary, ahead of every other rule (lane-rule.ts)
    const laneRules: HTTPRouteRule[] =
      lane === undefined
        ? []
        : [
            rule(
              mergeMatches(
                [{ path: { type: 'PathPrefix', value: '/' }, headers: [laneHeaderMatch(lane)] }],
                serviceMatches,
              ),
              [ref(n.canary, 100)],
              svcFilters,
            ),
          ];
    const rules: HTTPRouteRule[] = [...laneRules, ...sticky, weighted];
    const sources: Record<string, Record<string, string>> = {};
    if (strategy === 'ab-testing' && analysis?.match?.length) {
      if (analysis.match.some((m) => m.sourceLabels !== undefined)) {
        // Istio's sourceLabels scope one match each: a weighted rule per match, named, and the scoped ones listed
        // for the client proxies (engine/routing/source-labels.ts)
        rules.splice(rules.indexOf(weighted), 1);
        analysis.match.forEach((m, i) => {
          const name = `ab-match-${i}`;
          if (m.sourceLabels !== undefined) sources[name] = { ...m.sourceLabels };
          rules.push({ name, ...weighted, matches: mergeMatches([toGatewayMatch(m)], serviceMatches) });
        });
      } else {
        weighted.matches = mergeMatches(analysis.match.map(toGatewayMatch), serviceMatches);
      }
      rules.push({
        matches,
        ...(svcFilters.length > 0 ? { filters: svcFilters } : {}),
        backendRefs: [ref(n.primary, 100)],
        ...withTimeouts,
      });
    }
    const apexMeta = (svc.apex ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name: n.route,
        namespace: canary.metadata.namespace,
        labels: { ...existing?.metadata.labels, ...apexMeta.labels },
        // foreign annotations are preserved, as Flagger does
        annotations: withMirrorDiff(
          withSourceLabels({ ...existing?.metadata.annotations, ...apexMeta.annotations }, sources),
          canary,
        ),
      },
      spec: {
        parentRefs,
        ...(svc.hosts?.length ? { hostnames: [...svc.hosts] } : {}),
        rules,
      },
    };
  }

  async reconcile(canary: Canary, lane?: string): Promise<void> {
    const have = this.current(canary);
    const weights = this.getRoutes(canary) ?? { primary: 100, canary: 0 };
    await writeRoute(this.store, this.desired(canary, weights, have, sessionCookiesOf(canary.status), lane), have);
  }

  async setRoutes(canary: Canary, weights: RouteWeights, cookies?: SessionCookies, lane?: string): Promise<void> {
    const have = this.current(canary);
    await writeRoute(
      this.store,
      this.desired(canary, weights, have, cookies ?? sessionCookiesOf(canary.status), lane),
      have,
    );
  }

  /**
   * `revertOnDeletion`: the route goes with the canary, as the garbage collector removes the HTTPRoute
   * Flagger creates with the Canary as its owner: the apex Service then serves from its own endpoints.
   * Only a route that sends to the generated `-primary` Service is the canary's.
   */
  async finalize(canary: Canary): Promise<void> {
    const route = this.current(canary);
    if (!route) return;
    const { primary } = this.names(canary);
    if (!routesToPrimary(route.spec.rules, primary)) return;
    await this.store.delete('HTTPRoute', canary.metadata.namespace, route.metadata.name);
  }

  /** weights and mirroring read back from the route's weighted rule (`readWeights`) */
  getRoutes(canary: Canary): RouteWeights | undefined {
    const route = this.current(canary);
    return route ? readWeights(route.spec.rules, this.names(canary)) : undefined;
  }
}

/** the route's annotations with the source-label scopes of its rules (none: the annotation goes) */
function withSourceLabels(
  annotations: Record<string, string>,
  sources: Record<string, Record<string, string>>,
): Record<string, string> {
  const { [SOURCE_LABELS_ANNOTATION]: _old, ...rest } = annotations;
  return Object.keys(sources).length > 0 ? { ...rest, [SOURCE_LABELS_ANNOTATION]: JSON.stringify(sources) } : rest;
}

/**
 * The route's annotations with the Canary's mirror-diff config for the proxies (`weir.io/mirror-diff-config`,
 * engine/mirror-diff/config.ts); the annotation goes when the Canary does not ask for diffing. The Canary's
 * annotations were validated when it was read.
 */
function withMirrorDiff(annotations: Record<string, string>, canary: Canary): Record<string, string> {
  const { [MIRROR_DIFF_ROUTE_ANNOTATION]: _old, ...rest } = annotations;
  let config: MirrorDiffConfig | undefined;
  try {
    config = mirrorDiffFromAnnotations(canary.metadata.annotations);
  } catch {
    config = undefined;
  }
  return config !== undefined ? { ...rest, [MIRROR_DIFF_ROUTE_ANNOTATION]: JSON.stringify(config) } : rest;
}

/** a `Cookie` header regex match for one `name=value` cookie */
function cookieHeaderMatch(cookie: string): NonNullable<HTTPRouteMatch['headers']>[number] {
  return { type: 'RegularExpression', name: 'Cookie', value: cookieMatchRegex(cookie) };
}

/** a `ResponseHeaderModifier` adding one `Set-Cookie` */
function setCookieFilter(value: string): HTTPRouteFilter {
  return { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'Set-Cookie', value }] } };
}
