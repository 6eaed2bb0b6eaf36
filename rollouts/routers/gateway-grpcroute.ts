import type { RouteWeights, SessionCookies } from '../../engine/canary/index.js';
import { getAnalysis, strategyOf } from '../../engine/canary/index.js';
import type {
  Canary,
  CanaryMatch,
  GRPCBackendRef,
  GRPCRoute,
  GRPCRouteFilter,
  GRPCRouteMatch,
  GRPCRouteRule,
  ParentReference,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { toGatewayMatch } from './gateway-httproute.js';
import { laneHeaderMatch } from './lane-rule.js';
import type { Router } from './router.js';
import { mainPort, routeNames, type RouteNames, type RoutedPort } from './routed-ports.js';
import { readWeights, routesToPrimary, writeRoute } from './route-object.js';
import { serviceFilters } from './service-filters.js';

/** the filters a GRPCRoute rule may carry (the Gateway API leaves URLRewrite and CORS to HTTPRoute) */
const GRPC_FILTERS = new Set<string>(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']);

const GRPC_PATH = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)?$/;

/**
 * An Istio-style match as a GRPCRouteMatch: its headers as header matches, and a `uri` that names a gRPC
 * service or method (`exact: /pkg.Service/Method`, `prefix: /pkg.Service/`) as a method match. What has no
 * gRPC form (other URIs, query parameters, the HTTP method) is left out; `canaryWarnings` says so.
 */
export function toGrpcMatch(m: CanaryMatch): GRPCRouteMatch {
  const out: GRPCRouteMatch = {};
  const headers = toGatewayMatch(m).headers;
  if (headers?.length) out.headers = headers;
  const uri = m.uri as { exact?: string; prefix?: string } | undefined;
  const path = GRPC_PATH.exec(uri?.exact ?? uri?.prefix ?? '');
  if (path) {
    const method = uri?.exact !== undefined ? path[2] : undefined;
    out.method = { type: 'Exact', service: path[1]!, ...(method ? { method } : {}) };
  }
  return out;
}

/**
 * The canary's GRPCRoute (Flagger #1935; the Gateway API's route for gRPC, gateway-api.md 2.8), for a port
 * whose `appProtocol` is `grpc`: what `GatewayHTTPRouteRouter` writes, in GRPCRoute's terms. One weighted rule
 * `[<svc>-primary, <svc>-canary]` (matching every call unless `service.match` says otherwise), A/B adds the
 * analysis header matches to it and a primary-only rule after it, mirroring is a `RequestMirror` as on the
 * HTTPRoute, and the service's header and mirror filters go on every rule. Session affinity (cookies),
 * timeouts, rewrites and CORS have no GRPCRoute form and are not written.
 */
export class GatewayGRPCRouteRouter implements Router {
  constructor(
    private readonly store: ResourceStore,
    private readonly portOf: (canary: Canary) => RoutedPort = mainPort,
  ) {}

  private names(canary: Canary): RouteNames {
    return routeNames(canary, this.portOf(canary));
  }

  private current(canary: Canary): GRPCRoute | undefined {
    return this.store.get<GRPCRoute>('GRPCRoute', canary.metadata.namespace, this.names(canary).route);
  }

  desired(canary: Canary, weights: RouteWeights, existing?: GRPCRoute, lane?: string): GRPCRoute {
    const n = this.names(canary);
    const svc = canary.spec.service;
    const analysis = getAnalysis(canary);
    const parentRefs: ParentReference[] = svc.gatewayRefs?.length
      ? structuredClone(svc.gatewayRefs)
      : [{ group: 'core', kind: 'Service', name: n.apex, port: n.port }];
    const serviceMatches = (svc.match ?? []).map((m) => toGrpcMatch(m as CanaryMatch));
    const ref = (name: string, weight: number, filters: GRPCRouteFilter[] = []): GRPCBackendRef => ({
      group: '',
      kind: 'Service',
      name,
      port: n.port,
      weight,
      ...(filters.length > 0 ? { filters } : {}),
    });
    const svcFilters = serviceFilters(svc).filter((f) => GRPC_FILTERS.has(f.type)) as GRPCRouteFilter[];
    const ruleFilters: GRPCRouteFilter[] = [...svcFilters];
    const primaryFilters: GRPCRouteFilter[] = [];
    if (weights.mirrored) {
      const mirror: GRPCRouteFilter = {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: n.canary, port: n.port },
          ...(analysis?.mirrorWeight !== undefined && analysis.mirrorWeight < 100
            ? { percent: analysis.mirrorWeight }
            : {}),
        },
      };
      if (weights.primary > 0 && weights.canary > 0) primaryFilters.push(mirror);
      else ruleFilters.push(mirror);
    }
    const rule = (matches: GRPCRouteMatch[], backendRefs: GRPCBackendRef[], filters: GRPCRouteFilter[]) =>
      ({
        ...(matches.length > 0 ? { matches } : {}),
        ...(filters.length > 0 ? { filters } : {}),
        backendRefs,
      }) as GRPCRouteRule;
    const weighted = rule(
      serviceMatches,
      [ref(n.primary, weights.primary, primaryFilters), ref(n.canary, weights.canary)],
      ruleFilters,
    );
    const rules: GRPCRouteRule[] = [weighted];
    // coordinated canaries: the lane to the canary, ahead of the weighted rule (lane-rule.ts)
    if (lane !== undefined) {
      const laneMatches = (serviceMatches.length > 0 ? serviceMatches : [{}]).map((m) => ({
        ...m,
        headers: [...(m.headers ?? []), laneHeaderMatch(lane)],
      }));
      rules.unshift(rule(laneMatches, [ref(n.canary, 100)], svcFilters));
    }
    if (strategyOf(analysis) === 'ab-testing' && analysis?.match?.length) {
      weighted.matches = abMatches(analysis.match.map(toGrpcMatch), serviceMatches);
      rules.push(rule(serviceMatches, [ref(n.primary, 100)], svcFilters));
    }
    const apexMeta = (svc.apex ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GRPCRoute',
      metadata: {
        name: n.route,
        namespace: canary.metadata.namespace,
        labels: { ...existing?.metadata.labels, ...apexMeta.labels },
        annotations: { ...existing?.metadata.annotations, ...apexMeta.annotations },
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
    await writeRoute(
      this.store,
      this.desired(canary, this.getRoutes(canary) ?? { primary: 100, canary: 0 }, have, lane),
      have,
    );
  }

  async setRoutes(canary: Canary, weights: RouteWeights, _cookies?: SessionCookies, lane?: string): Promise<void> {
    const have = this.current(canary);
    await writeRoute(this.store, this.desired(canary, weights, have, lane), have);
  }

  getRoutes(canary: Canary): RouteWeights | undefined {
    const route = this.current(canary);
    return route ? readWeights(route.spec.rules ?? [], this.names(canary)) : undefined;
  }

  async finalize(canary: Canary): Promise<void> {
    const route = this.current(canary);
    if (!route || !routesToPrimary(route.spec.rules ?? [], this.names(canary).primary)) return;
    await this.store.delete('GRPCRoute', canary.metadata.namespace, route.metadata.name);
  }
}

/** A/B: each analysis match combined with each service match (their headers together, the service's method) */
function abMatches(analysis: GRPCRouteMatch[], service: GRPCRouteMatch[]): GRPCRouteMatch[] {
  if (service.length === 0) return analysis;
  return analysis.flatMap((a) =>
    service.map((s) => {
      const headers = [...(s.headers ?? []), ...(a.headers ?? [])];
      const method = s.method ?? a.method;
      return { ...(method ? { method } : {}), ...(headers.length ? { headers } : {}) };
    }),
  );
}
