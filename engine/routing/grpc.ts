import type { GRPCRoute, GRPCRouteMatch, HTTPBackendRef, Service } from '../resources/index.js';
import { parentRefSelects, type ServicePortRef } from './attach.js';
import { BackendResolver, ServiceIndex, type BackendTarget } from './backends.js';
import { creationTime } from './precedence.js';
import { headerValue, type RoutableRequest } from './request.js';
import { compileFilters } from './filters.js';
import { CompiledRule, type RoutedBackend, type RoutingTable } from './table.js';

/**
 * GRPCRoute (Gateway API, gateway-api.md 2.8), compiled per Service port like HTTPRoutes are. A match
 * tests the request's `:path`, `/<service>/<method>`: service and method are each Exact (case-sensitive)
 * or RegularExpression (JS `RegExp`, anchored), an omitted one matches anything; headers (names
 * case-insensitive, Exact or RegularExpression) are ANDed with it. A rule without matches matches
 * every request. Precedence across all rules of all attached GRPCRoutes: a service match (Exact before
 * RegularExpression, then more characters), then a method match (likewise), then more header matches,
 * then the oldest route, then `namespace/name`, then rule and match order. Filters (a subset of
 * HTTPRoute's) are compiled by `compileFilters`, as for HTTPRoutes.
 */

interface HeaderTest {
  name: string;
  exact?: string;
  regex?: RegExp;
}

type Part = { kind: 0 } | { kind: 1; regex: RegExp | undefined; source: string } | { kind: 2; value: string };

function anchored(source: string, problems: string[], what: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    problems.push(`${what}: invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    return undefined;
  }
}

function part(value: string | undefined, regex: boolean, problems: string[], what: string): Part {
  if (value === undefined) return { kind: 0 };
  if (regex) return { kind: 1, regex: anchored(value, problems, what), source: value };
  return { kind: 2, value };
}

function partLength(p: Part): number {
  return p.kind === 0 ? 0 : p.kind === 1 ? p.source.length : p.value.length;
}

function testPart(p: Part, actual: string): boolean {
  if (p.kind === 0) return true;
  if (p.kind === 2) return actual === p.value;
  return p.regex !== undefined && p.regex.test(actual);
}

/** One GRPCRouteMatch, compiled. */
export class CompiledGrpcMatch {
  readonly service: Part;
  readonly method: Part;
  readonly headerCount: number;
  /** set when a regular expression does not compile: the match then never matches */
  readonly invalid: string | undefined;
  private readonly headers: HeaderTest[];

  constructor(match: GRPCRouteMatch | undefined) {
    const problems: string[] = [];
    const regex = match?.method?.type === 'RegularExpression';
    this.service = part(match?.method?.service, regex, problems, 'service');
    this.method = part(match?.method?.method, regex, problems, 'method');
    this.headers = [];
    const seen = new Set<string>();
    for (const h of match?.headers ?? []) {
      const name = h.name.toLowerCase();
      if (seen.has(name)) continue;
      seen.add(name);
      if (h.type === 'RegularExpression') {
        const r = anchored(h.value, problems, `header ${h.name}`);
        this.headers.push(r === undefined ? { name } : { name, regex: r });
      } else {
        this.headers.push({ name, exact: h.value });
      }
    }
    this.headerCount = this.headers.length;
    this.invalid = problems.length > 0 ? problems.join('; ') : undefined;
  }

  /** `service` and `method` as split from `:path` */
  test(req: RoutableRequest, service: string, method: string): boolean {
    if (this.invalid !== undefined) return false;
    if (!testPart(this.service, service) || !testPart(this.method, method)) return false;
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) {
      const t = hs[i] as HeaderTest;
      const v = headerValue(req.headers, t.name);
      if (v === undefined) return false;
      if (t.exact !== undefined ? v !== t.exact : t.regex === undefined || !t.regex.test(v)) return false;
    }
    return true;
  }

  describe(): Record<string, unknown> {
    const d = (p: Part) => (p.kind === 0 ? undefined : p.kind === 1 ? p.source : p.value);
    const kind = this.service.kind === 1 || this.method.kind === 1 ? 'RegularExpression' : 'Exact';
    const out: Record<string, unknown> = { method: { type: kind, service: d(this.service), method: d(this.method) } };
    if (this.headers.length > 0) {
      out.headers = this.headers.map((h) =>
        h.regex !== undefined
          ? { name: h.name, type: 'RegularExpression', value: h.regex.source.slice(4, -2) }
          : { name: h.name, type: 'Exact', value: h.exact ?? '' },
      );
    }
    if (this.invalid !== undefined) out.invalid = this.invalid;
    return out;
  }
}

interface Ranked {
  match: CompiledGrpcMatch;
  rule: CompiledRule;
  created: number;
  routeKey: string;
  ruleIndex: number;
  matchIndex: number;
}

/** Negative when `a` wins (see the module comment). */
export function compareGrpcPrecedence(a: Ranked, b: Ranked): number {
  const ma = a.match;
  const mb = b.match;
  return (
    mb.service.kind - ma.service.kind ||
    partLength(mb.service) - partLength(ma.service) ||
    mb.method.kind - ma.method.kind ||
    partLength(mb.method) - partLength(ma.method) ||
    mb.headerCount - ma.headerCount ||
    (a.created === b.created ? 0 : a.created < b.created ? -1 : 1) ||
    (a.routeKey < b.routeKey ? -1 : a.routeKey > b.routeKey ? 1 : 0) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

/** The GRPCRoutes attached to one Service port, as one ordered list of matches. */
export class GrpcRoutingTable {
  readonly parent: ServicePortRef;
  readonly rules: readonly CompiledRule[];
  readonly warnings: readonly string[];
  private readonly entries: ReadonlyArray<{ match: CompiledGrpcMatch; rule: CompiledRule }>;

  constructor(
    parent: ServicePortRef,
    entries: Array<{ match: CompiledGrpcMatch; rule: CompiledRule }>,
    rules: CompiledRule[],
    warnings: string[],
  ) {
    this.parent = parent;
    this.entries = entries;
    this.rules = rules;
    this.warnings = warnings;
  }

  /** the rule serving this request, or undefined when none matches (gRPC UNIMPLEMENTED) */
  route(req: RoutableRequest): CompiledRule | undefined {
    const path = req.url ?? '';
    let service = '';
    let method = '';
    if (path.charCodeAt(0) === 47) {
      const slash = path.indexOf('/', 1);
      if (slash > 0) {
        service = path.slice(1, slash);
        const q = path.indexOf('?', slash);
        method = q < 0 ? path.slice(slash + 1) : path.slice(slash + 1, q);
      }
    }
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as { match: CompiledGrpcMatch; rule: CompiledRule };
      if (e.match.test(req, service, method)) return e.rule;
    }
    return undefined;
  }

  describe(): Record<string, unknown> {
    return {
      matches: this.entries.map((e) => ({
        ...e.match.describe(),
        route: e.rule.route ?? null,
        rule: e.rule.ruleIndex,
      })),
      rules: this.rules.map((r) => r.describe()),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
    };
  }
}

/** Everything a Service port routes with, for every protocol. */
export interface ServicePortRoutes {
  http: RoutingTable;
  /** undefined when no GRPCRoute is attached: gRPC requests then follow the HTTPRoutes */
  grpc: GrpcRoutingTable | undefined;
  /** `http.targets` first (same indexes), then the GRPCRoutes' other targets, then the Service port itself */
  targets: readonly BackendTarget[];
  /** the Service port itself: where opaque TCP goes */
  self: BackendTarget;
}

export interface GrpcRoutingInputs {
  services: readonly Service[];
  grpcRoutes?: readonly GRPCRoute[] | undefined;
}

/** GAMMA attachment, as for HTTPRoutes: consumer routes in the client's namespace replace producer routes. */
export function grpcRoutesForServicePort(
  routes: readonly GRPCRoute[],
  parent: ServicePortRef,
  clientNamespace?: string,
): GRPCRoute[] {
  const producer: GRPCRoute[] = [];
  const consumer: GRPCRoute[] = [];
  for (const route of routes) {
    const ns = route.metadata.namespace ?? 'default';
    if (!(route.spec.parentRefs ?? []).some((ref) => parentRefSelects(ref, ns, parent))) continue;
    if (ns === parent.namespace) producer.push(route);
    else if (clientNamespace !== undefined && ns === clientNamespace) consumer.push(route);
  }
  return consumer.length > 0 ? consumer : producer;
}

/**
 * Compile the GRPCRoutes attached to `http.parent`, next to its HTTPRoute table. Backend targets are
 * numbered after the HTTP table's, so one per-target array serves both tables.
 */
export function compileServicePortRoutes(
  http: RoutingTable,
  inputs: GrpcRoutingInputs,
  clientNamespace?: string,
  services: ServiceIndex = new ServiceIndex(inputs.services),
): ServicePortRoutes {
  const parent = http.parent;
  const resolver = new BackendResolver(services);
  for (const t of http.targets) resolver.target(t);
  const routes = grpcRoutesForServicePort(inputs.grpcRoutes ?? [], parent, clientNamespace);
  let grpc: GrpcRoutingTable | undefined;
  if (routes.length > 0) {
    const ranked: Ranked[] = [];
    const rules: CompiledRule[] = [];
    const warnings: string[] = [];
    for (const route of routes) {
      const ns = route.metadata.namespace ?? 'default';
      const routeKey = `${ns}/${route.metadata.name}`;
      const created = creationTime(route.metadata.creationTimestamp);
      (route.spec.rules ?? []).forEach((rule, ruleIndex) => {
        // GRPCRoute filters (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef)
        // are a subset of HTTPRoute's and compile the same way; a gRPC rule has no path to rewrite
        const label = `grpcroute ${routeKey} rule ${rule.name ?? ruleIndex}`;
        const resolve = (ref: HTTPBackendRef) => resolver.resolve(ref, ns, parent.port);
        const filters = compileFilters(rule.filters, { resolve, matchPrefix: undefined, label, warnings });
        const backends = (rule.backendRefs ?? []).map((ref): RoutedBackend => {
          const plain: HTTPBackendRef = {
            group: ref.group,
            kind: ref.kind,
            name: ref.name,
            ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
            ...(ref.port !== undefined ? { port: ref.port } : {}),
            weight: ref.weight,
          };
          const b = resolve(plain);
          const ctx = { resolve, matchPrefix: undefined, label: `${label} backend ${b.name}`, warnings };
          return { ...b, filters: compileFilters(ref.filters, ctx) };
        });
        const compiled = new CompiledRule(routeKey, ruleIndex, rule.name, backends, filters);
        rules.push(compiled);
        const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [undefined];
        matches.forEach((m, matchIndex) => {
          const match = new CompiledGrpcMatch(m);
          if (match.invalid !== undefined) warnings.push(`grpcroute ${routeKey} rule ${ruleIndex}: ${match.invalid}`);
          ranked.push({ match, rule: compiled, created, routeKey, ruleIndex, matchIndex });
        });
      });
    }
    ranked.sort(compareGrpcPrecedence);
    grpc = new GrpcRoutingTable(
      parent,
      ranked.map((r) => ({ match: r.match, rule: r.rule })),
      rules,
      warnings,
    );
  }
  const self = resolver.target(parent);
  return { http, grpc, targets: resolver.targets, self };
}
