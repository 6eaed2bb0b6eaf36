import type { EgressNetwork, HTTPRoute, ParentReference, TCPRoute, TLSRoute } from '../resources/index.js';
import { EGRESS_AUDIT_ANNOTATION } from '../resources/egress-network.js';
import { CompiledMatch } from '../routing/match.js';
import { comparePrecedence, creationTime, type RankedMatch } from '../routing/precedence.js';
import { LazyQuery, pathEnd, type RoutableRequest } from '../routing/request.js';
import { inCidr, parseAddress, parseCidr, type Cidr } from './cidr.js';

/**
 * Egress as Linkerd 2.17 has it (`EgressNetwork`, policy-controller `outbound/index/egress_network.rs` and
 * the outbound policy's default egress routes), compiled for one client namespace:
 *
 * - which EgressNetwork an address outside the mesh falls in: when the client's namespace has any
 *   EgressNetwork only those count, else those of the global egress namespace; among the ones whose
 *   networks hold the address, the most specific network wins, then the oldest, then namespace/name;
 * - what a request (or a connection) to it gets: the best route parented to it (HTTPRoute for HTTP;
 *   TLSRoute by server name, else TCPRoute, for connections), else the default route of its
 *   `trafficPolicy` (`http-egress-allow`/`http-egress-deny`, `tcp-egress-allow`/`tcp-egress-deny`);
 * - in audit mode (annotation `weir.io/audit: "true"`) a denial is forwarded and marked `wouldDeny`.
 *
 * Pure: the caller resolves names to addresses and says whether an address is outside the mesh.
 */

/** Linkerd's default global egress namespace (`egress.globalEgressNetworkNamespace`) */
export const GLOBAL_EGRESS_NAMESPACE = 'linkerd-egress';
export const EGRESS_GROUP = 'policy.linkerd.io';

export interface EgressObjects {
  egressNetworks: readonly EgressNetwork[];
  httpRoutes: readonly HTTPRoute[];
  tcpRoutes: readonly TCPRoute[];
  tlsRoutes: readonly TLSRoute[];
}

/** the route that decided, as Linkerd labels it (`route_group`, `route_kind`, `route_namespace`, `route_name`) */
export interface EgressRouteRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export type EgressBackend =
  | { kind: 'forward' }
  | { kind: 'service'; namespace: string; name: string; port: number }
  | { kind: 'invalid'; message: string };

export interface EgressDecision {
  network: { namespace: string; name: string };
  route: EgressRouteRef;
  /** `deny`: 403 for HTTP, the connection closed otherwise */
  action: 'allow' | 'deny';
  /** where an allowed request goes */
  backend: EgressBackend;
  /** audit mode turned a denial into this `allow` */
  wouldDeny: boolean;
}

interface CompiledNetwork {
  ranges: Array<{ cidr: Cidr; except: Cidr[] }>;
}

interface CompiledHttpRule {
  route: EgressRouteRef;
  routeKey: string;
  routeCreated: number;
  ruleIndex: number;
  hostnames: readonly string[];
  port: number | undefined;
  matches: CompiledMatch[];
  backendRefs: ReadonlyArray<BackendRef>;
}

interface CompiledL4Rule {
  route: EgressRouteRef;
  port: number | undefined;
  hostnames: readonly string[];
  backendRefs: ReadonlyArray<BackendRef>;
}

interface BackendRef {
  group?: string | undefined;
  kind?: string | undefined;
  name: string;
  namespace?: string | undefined;
  port?: number | undefined;
  weight?: number | undefined;
}

export interface CompiledEgressNetwork {
  namespace: string;
  name: string;
  trafficPolicy: 'Allow' | 'Deny';
  audit: boolean;
  created: number;
  networks: CompiledNetwork;
  http: CompiledHttpRule[];
  tls: CompiledL4Rule[];
  tcp: CompiledL4Rule[];
}

const ALL: Cidr[] = [parseCidr('0.0.0.0/0')!, parseCidr('::/0')!];

function bits(c: Cidr): number {
  return (c[0].kind() === 'ipv4' ? 32 : 128) - c[1];
}

/** hostname of a route (`*.example.com` matches one or more labels in front) against a request's host */
export function hostnameMatches(patterns: readonly string[], host: string | undefined): boolean {
  if (patterns.length === 0) return true;
  if (host === undefined || host === '') return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : p === h));
}

function parentSelects(ref: ParentReference, routeNs: string, net: { namespace: string; name: string }): boolean {
  return (
    ref.group === EGRESS_GROUP &&
    ref.kind === 'EgressNetwork' &&
    ref.name === net.name &&
    (ref.namespace ?? routeNs) === net.namespace
  );
}

type Routed = HTTPRoute | TCPRoute | TLSRoute;

/**
 * The routes parented to `net` that apply to a client in `clientNs`, with the port each parentRef names:
 * routes of the EgressNetwork's own namespace apply to every client; routes of the client's namespace only
 * to it, and when there are any they replace the others (GAMMA's producer/consumer rule).
 */
function attached<R extends Routed>(
  routes: readonly R[],
  net: { namespace: string; name: string },
  clientNs: string,
): Array<{ route: R; port: number | undefined }> {
  const pick = (ns: string) =>
    routes.flatMap((r) => {
      const routeNs = r.metadata.namespace ?? 'default';
      if (routeNs !== ns) return [];
      return (r.spec.parentRefs ?? [])
        .filter((p) => parentSelects(p, routeNs, net))
        .map((p) => ({ route: r, port: p.port }));
    });
  if (clientNs !== net.namespace) {
    const consumer = pick(clientNs);
    if (consumer.length > 0) return consumer;
  }
  return pick(net.namespace);
}

function routeRef(r: Routed, group: string): EgressRouteRef {
  return { group, kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name };
}

function byAgeThenName(a: { route: Routed }, b: { route: Routed }): number {
  const ta = creationTime(a.route.metadata.creationTimestamp);
  const tb = creationTime(b.route.metadata.creationTimestamp);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.route.metadata.name < b.route.metadata.name ? -1 : a.route.metadata.name > b.route.metadata.name ? 1 : 0;
}

export function compileEgressNetwork(
  net: EgressNetwork,
  objects: EgressObjects,
  clientNs: string,
): CompiledEgressNetwork {
  const id = { namespace: net.metadata.namespace ?? 'default', name: net.metadata.name };
  const ranges =
    net.spec.networks === undefined
      ? ALL.map((cidr) => ({ cidr, except: [] as Cidr[] }))
      : net.spec.networks.map((n) => ({
          cidr: parseCidr(n.cidr)!,
          except: (n.except ?? []).map((e) => parseCidr(e)!),
        }));
  const http: CompiledHttpRule[] = [];
  for (const { route, port } of attached(objects.httpRoutes, id, clientNs)) {
    route.spec.rules.forEach((rule, ruleIndex) => {
      http.push({
        route: routeRef(route, 'gateway.networking.k8s.io'),
        routeKey: `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`,
        routeCreated: creationTime(route.metadata.creationTimestamp),
        ruleIndex,
        hostnames: route.spec.hostnames ?? [],
        port,
        matches: rule.matches.map((m) => new CompiledMatch(m)),
        backendRefs: rule.backendRefs ?? [],
      });
    });
  }
  const l4 = (routes: readonly (TCPRoute | TLSRoute)[]): CompiledL4Rule[] =>
    attached(routes, id, clientNs)
      .sort(byAgeThenName)
      .flatMap(({ route, port }) =>
        route.spec.rules.slice(0, 1).map((rule) => ({
          route: routeRef(route, 'gateway.networking.k8s.io'),
          port,
          hostnames: route.kind === 'TLSRoute' ? (route.spec.hostnames ?? []) : [],
          backendRefs: rule.backendRefs ?? [],
        })),
      );
  return {
    ...id,
    trafficPolicy: net.spec.trafficPolicy,
    audit: net.metadata.annotations?.[EGRESS_AUDIT_ANNOTATION] === 'true',
    // Linkerd orders a resource without a timestamp before every other
    created:
      net.metadata.creationTimestamp === undefined
        ? Number.NEGATIVE_INFINITY
        : creationTime(net.metadata.creationTimestamp),
    networks: { ranges },
    http,
    tls: l4(objects.tlsRoutes),
    tcp: l4(objects.tcpRoutes),
  };
}

/** the size of the most specific range of `net` holding `addr`, in host bits; undefined when none does */
function matchedBits(net: CompiledNetwork, addr: ReturnType<typeof parseAddress>): number | undefined {
  if (addr === undefined) return undefined;
  let best: number | undefined;
  for (const r of net.ranges) {
    if (!inCidr(addr, r.cidr) || r.except.some((e) => inCidr(addr, e))) continue;
    const b = bits(r.cidr);
    if (best === undefined || b < best) best = b;
  }
  return best;
}

/** The egress policy of one client namespace. */
export class EgressPolicy {
  readonly networks: readonly CompiledEgressNetwork[];

  constructor(
    objects: EgressObjects,
    readonly clientNamespace: string,
    readonly globalNamespace: string = GLOBAL_EGRESS_NAMESPACE,
    private readonly random: () => number = Math.random,
  ) {
    const own = objects.egressNetworks.filter((n) => (n.metadata.namespace ?? 'default') === clientNamespace);
    const chosen =
      own.length > 0
        ? own
        : objects.egressNetworks.filter((n) => (n.metadata.namespace ?? 'default') === globalNamespace);
    this.networks = chosen.map((n) => compileEgressNetwork(n, objects, clientNamespace));
  }

  /** no EgressNetwork applies to this client: egress is not controlled (allowed, uncounted) */
  get empty(): boolean {
    return this.networks.length === 0;
  }

  /** the EgressNetwork an address outside the mesh falls in, if any */
  network(ip: string): CompiledEgressNetwork | undefined {
    const addr = parseAddress(ip);
    let best: { net: CompiledEgressNetwork; bits: number } | undefined;
    for (const net of this.networks) {
      const b = matchedBits(net.networks, addr);
      if (b === undefined) continue;
      if (best === undefined || better({ net, bits: b }, best)) best = { net, bits: b };
    }
    return best?.net;
  }

  /** an HTTP request for `host` (the URL's host name) at `ip:port`; undefined: no EgressNetwork holds `ip` */
  http(ip: string, port: number, host: string, req: RoutableRequest): EgressDecision | undefined {
    const net = this.network(ip);
    if (net === undefined) return undefined;
    const url = req.url ?? '/';
    const end = pathEnd(url);
    const query = new LazyQuery();
    query.reset(url, end);
    let best: (RankedMatch & { rule: CompiledHttpRule }) | undefined;
    for (const rule of net.http) {
      if (rule.port !== undefined && rule.port !== port) continue;
      if (!hostnameMatches(rule.hostnames, host)) continue;
      rule.matches.forEach((match, matchIndex) => {
        if (!match.test(req, url, end, query)) return;
        const ranked = {
          match,
          routeCreated: rule.routeCreated,
          routeKey: rule.routeKey,
          ruleIndex: rule.ruleIndex,
          matchIndex,
          rule,
        };
        if (best === undefined || comparePrecedence(ranked, best) < 0) best = ranked;
      });
    }
    if (best !== undefined) return this.routed(net, best.rule.route, best.rule.backendRefs);
    return this.defaulted(net, 'http');
  }

  /** a connection (CONNECT, opaque TCP) to `ip:port`, asked for as `serverName` when it was a name */
  connection(ip: string, port: number, serverName?: string): EgressDecision | undefined {
    const net = this.network(ip);
    if (net === undefined) return undefined;
    const fits = (r: CompiledL4Rule) => r.port === undefined || r.port === port;
    const tls = net.tls.find((r) => fits(r) && serverName !== undefined && hostnameMatches(r.hostnames, serverName));
    const rule = tls ?? net.tcp.find(fits);
    if (rule !== undefined) return this.routed(net, rule.route, rule.backendRefs);
    return this.defaulted(net, 'tcp');
  }

  private defaulted(net: CompiledEgressNetwork, proto: 'http' | 'tcp'): EgressDecision {
    const deny = net.trafficPolicy === 'Deny';
    const route = { group: '', kind: 'default', namespace: '', name: `${proto}-egress-${deny ? 'deny' : 'allow'}` };
    const network = { namespace: net.namespace, name: net.name };
    if (!deny) return { network, route, action: 'allow', backend: { kind: 'forward' }, wouldDeny: false };
    if (net.audit) return { network, route, action: 'allow', backend: { kind: 'forward' }, wouldDeny: true };
    return { network, route, action: 'deny', backend: { kind: 'forward' }, wouldDeny: false };
  }

  private routed(net: CompiledEgressNetwork, route: EgressRouteRef, refs: ReadonlyArray<BackendRef>): EgressDecision {
    const network = { namespace: net.namespace, name: net.name };
    return { network, route, action: 'allow', backend: this.backend(net, route, refs), wouldDeny: false };
  }

  /** a route's backend: none (or its parent EgressNetwork) is the original destination, a Service is that Service */
  private backend(net: CompiledEgressNetwork, route: EgressRouteRef, refs: ReadonlyArray<BackendRef>): EgressBackend {
    if (refs.length === 0) return { kind: 'forward' };
    const total = refs.reduce((s, r) => s + (r.weight ?? 1), 0);
    if (total <= 0) return { kind: 'invalid', message: 'every backendRef has weight 0' };
    let pick = this.random() * total;
    let ref = refs[refs.length - 1]!;
    for (const r of refs) {
      pick -= r.weight ?? 1;
      if (pick < 0) {
        ref = r;
        break;
      }
    }
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Service';
    if (group === EGRESS_GROUP && kind === 'EgressNetwork') {
      if (ref.name === net.name && (ref.namespace ?? route.namespace) === net.namespace) return { kind: 'forward' };
      return {
        kind: 'invalid',
        message: 'Route with EgressNetwork backend needs to have the same EgressNetwork as a parent',
      };
    }
    if ((group === '' || group === 'core') && kind === 'Service' && ref.port !== undefined)
      return { kind: 'service', namespace: ref.namespace ?? route.namespace, name: ref.name, port: ref.port };
    return { kind: 'invalid', message: `backend ${kind} ${ref.name} is not supported for egress` };
  }
}

/** Linkerd's `compare_matched_egress_network`: most specific network, then oldest, then namespace, name */
function better(
  a: { net: CompiledEgressNetwork; bits: number },
  b: { net: CompiledEgressNetwork; bits: number },
): boolean {
  if (a.bits !== b.bits) return a.bits < b.bits;
  if (a.net.created !== b.net.created) return a.net.created < b.net.created;
  if (a.net.namespace !== b.net.namespace) return a.net.namespace < b.net.namespace;
  return a.net.name < b.net.name;
}
