import type { HTTPBackendRef, HTTPRoute, HTTPRouteRule, Service } from '../resources/index.js';
import { routeNamespace, routesForServicePort, servicePorts, type ServicePortRef } from './attach.js';
import { BackendResolver, ServiceIndex, type BackendTarget, type RuleBackend } from './backends.js';
import {
  mirrorDiffFromRouteAnnotation,
  ROUTE_ANNOTATION as MIRROR_DIFF_ROUTE_ANNOTATION,
  type CompiledDiffConfig,
} from '../mirror-diff/config.js';
import { compileFilters, describeFilters, type CompiledFilters } from './filters.js';
import { CompiledMatch } from './match.js';
import { compilePolicy, describePolicy, type RoutePolicy } from './policy.js';
import { comparePrecedence, creationTime, type RankedMatch } from './precedence.js';
import { LazyQuery, pathEnd, type RoutableRequest } from './request.js';
import { SmoothWeighted } from './weighted.js';
import { ruleAppliesTo, sourceSelectors, type ClientWorkload } from './source-labels.js';

/** A backendRef of a rule with its own filters (applied only when it is picked). */
export interface RoutedBackend extends RuleBackend {
  readonly filters?: CompiledFilters | undefined;
}

/** A rule of a route (or the default route), with its weighted backend choice, filters and policy. */
export class CompiledRule {
  /** `namespace/name` of the route; undefined for the default route */
  readonly route: string | undefined;
  readonly ruleIndex: number;
  readonly name: string | undefined;
  readonly backends: readonly RoutedBackend[];
  /** the rule's own filters, applied to every request it serves, before the backend's */
  readonly filters: CompiledFilters | undefined;
  /** timeouts and retries */
  readonly policy: RoutePolicy | undefined;
  /** true when neither the rule nor any of its backends has filters, timeouts or retries */
  readonly plain: boolean;
  private readonly picker: SmoothWeighted<RoutedBackend>;
  private readonly none: RoutedBackend | undefined;

  constructor(
    route: string | undefined,
    ruleIndex: number,
    name: string | undefined,
    backends: RoutedBackend[],
    filters?: CompiledFilters,
    policy?: RoutePolicy,
  ) {
    this.route = route;
    this.ruleIndex = ruleIndex;
    this.name = name;
    this.backends = backends;
    this.filters = filters;
    this.policy = policy;
    this.plain = filters === undefined && policy === undefined && backends.every((b) => b.filters === undefined);
    this.picker = new SmoothWeighted(backends.map((b) => ({ item: b, weight: b.weight })));
    this.none = this.picker.empty
      ? {
          name: '',
          weight: 0,
          target: undefined,
          filters: undefined,
          failStatus: 500,
          reason:
            backends.length === 0
              ? `${this.label()}: no backendRefs`
              : `${this.label()}: every backendRef has weight 0`,
        }
      : undefined;
  }

  /** the backend for the next request, by smooth weighted round robin; check `failStatus` before forwarding */
  pick(): RoutedBackend {
    return this.none ?? (this.picker.pick() as RoutedBackend);
  }

  label(): string {
    return this.route === undefined ? 'default route' : `route ${this.route} rule ${this.name ?? this.ruleIndex}`;
  }

  describe(): Record<string, unknown> {
    return {
      route: this.route ?? null,
      rule: this.ruleIndex,
      ...(this.name !== undefined ? { name: this.name } : {}),
      backends: this.backends.map((b) => ({
        backend: b.name,
        weight: b.weight,
        ...(b.failStatus !== 0 ? { status: b.failStatus, reason: b.reason } : {}),
        ...(b.filters !== undefined ? { filters: describeFilters(b.filters) } : {}),
      })),
      ...(this.filters !== undefined ? { filters: describeFilters(this.filters) } : {}),
      ...(this.policy !== undefined ? describePolicy(this.policy) : {}),
      ...(this.none !== undefined ? { status: this.none.failStatus, reason: this.none.reason } : {}),
    };
  }
}

interface Entry {
  match: CompiledMatch;
  rule: CompiledRule;
}

/**
 * Every HTTPRoute attached to one Service port, compiled into one ordered list of matches. `route()`
 * returns the rule that serves a request, or undefined when routes are attached and none matches (the
 * proxy answers 404). Without attached routes a default rule forwards everything to the Service itself.
 */
export class RoutingTable {
  readonly parent: ServicePortRef;
  /** true when at least one HTTPRoute is attached */
  readonly attached: boolean;
  /** the Service ports this table forwards to; index = `BackendTarget.index` */
  readonly targets: readonly BackendTarget[];
  readonly rules: readonly CompiledRule[];
  /** problems found while compiling (invalid regular expressions, filters not applied), for `/config` */
  readonly warnings: readonly string[];
  private readonly entries: readonly Entry[];
  private readonly always: CompiledRule | undefined;
  private readonly usesQuery: boolean;
  private readonly query = new LazyQuery();

  constructor(
    parent: ServicePortRef,
    attached: boolean,
    entries: Entry[],
    rules: CompiledRule[],
    targets: BackendTarget[],
    warnings: string[],
  ) {
    this.parent = parent;
    this.attached = attached;
    this.entries = entries;
    this.rules = rules;
    this.targets = targets;
    this.warnings = warnings;
    const first = entries[0];
    this.always = first !== undefined && first.match.catchAll ? first.rule : undefined;
    this.usesQuery = entries.some((e) => e.match.usesQuery);
  }

  route(req: RoutableRequest): CompiledRule | undefined {
    if (this.always !== undefined) return this.always;
    const url = req.url ?? '/';
    const end = pathEnd(url);
    if (this.usesQuery) this.query.reset(url, end);
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.match.test(req, url, end, this.query)) return e.rule;
    }
    return undefined;
  }

  describe(): Record<string, unknown> {
    return {
      namespace: this.parent.namespace,
      service: this.parent.service,
      port: this.parent.port,
      attached: this.attached,
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

export interface RoutingInputs {
  services: readonly Service[];
  httpRoutes: readonly HTTPRoute[];
}

/** The value of the rule's only match when it is a PathPrefix match (what ReplacePrefixMatch replaces). */
function singlePrefix(rule: HTTPRouteRule): string | undefined {
  const m = rule.matches;
  if (m === undefined || m.length === 0) return '/';
  if (m.length !== 1) return undefined;
  const path = m[0]?.path;
  if (path === undefined) return '/';
  return (path.type ?? 'PathPrefix') === 'PathPrefix' ? (path.value ?? '/') : undefined;
}

/** Compile a rule's backends, filters and policy. */
function compileRule(
  routeKey: string,
  ruleIndex: number,
  rule: HTTPRouteRule,
  namespace: string,
  parentPort: number,
  targets: BackendResolver,
  warnings: string[],
  diff?: CompiledDiffConfig,
): CompiledRule {
  const label = `route ${routeKey} rule ${rule.name ?? ruleIndex}`;
  const matchPrefix = singlePrefix(rule);
  const resolve = (ref: HTTPBackendRef) => targets.resolve(ref, namespace, parentPort);
  const filters = compileFilters(rule.filters, { resolve, matchPrefix, label, warnings, diff, routeKey });
  const backends = (rule.backendRefs ?? []).map((ref): RoutedBackend => {
    const b = resolve(ref);
    const ctx = { resolve, matchPrefix, label: `${label} backend ${b.name}`, warnings, diff, routeKey };
    return { ...b, filters: compileFilters(ref.filters, ctx) };
  });
  return new CompiledRule(routeKey, ruleIndex, rule.name, backends, filters, compilePolicy(rule));
}

/**
 * Compile the routing table of one Service port for a client: the proxy's own workload, whose namespace's
 * consumer routes replace the Service's producer routes (GAMMA) and whose labels select the rules scoped by
 * source labels (`source-labels.ts`).
 */
export function compileRoutingTable(
  parent: ServicePortRef,
  inputs: RoutingInputs,
  client?: ClientWorkload,
  services: ServiceIndex = new ServiceIndex(inputs.services),
): RoutingTable {
  const routes = routesForServicePort(inputs.httpRoutes, parent, client?.namespace);
  const targets = new BackendResolver(services);
  const warnings: string[] = [];
  if (routes.length === 0) {
    const self = targets.target(parent);
    const rule = new CompiledRule(undefined, 0, undefined, [
      {
        name: `${parent.namespace}/${parent.service}:${parent.port}`,
        weight: 1,
        target: self,
        filters: undefined,
        failStatus: 0,
        reason: '',
      },
    ]);
    return new RoutingTable(
      parent,
      false,
      [{ match: new CompiledMatch(undefined), rule }],
      [rule],
      targets.targets,
      [],
    );
  }
  const ranked: Array<RankedMatch & { rule: CompiledRule }> = [];
  const rules: CompiledRule[] = [];
  for (const route of routes) {
    const ns = routeNamespace(route);
    const routeKey = `${ns}/${route.metadata.name}`;
    const created = creationTime(route.metadata.creationTimestamp);
    const selectors = sourceSelectors(route, warnings);
    const diff = routeMirrorDiff(route, routeKey, warnings);
    route.spec.rules.forEach((rule, ruleIndex) => {
      if (!ruleAppliesTo(rule, selectors, client)) return;
      const compiled = compileRule(routeKey, ruleIndex, rule, ns, parent.port, targets, warnings, diff);
      rules.push(compiled);
      const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [undefined];
      matches.forEach((m, matchIndex) => {
        const match = new CompiledMatch(m);
        if (match.invalid !== undefined) warnings.push(`route ${routeKey} rule ${ruleIndex}: ${match.invalid}`);
        ranked.push({ match, routeCreated: created, routeKey, ruleIndex, matchIndex, rule: compiled });
      });
    });
  }
  ranked.sort(comparePrecedence);
  const entries = ranked.map((r) => ({ match: r.match, rule: r.rule }));
  return new RoutingTable(parent, true, entries, rules, targets.targets, warnings);
}

/** the mirror-diff config of a route's RequestMirror filters (`weir.io/mirror-diff-config`); a bad one is a warning */
function routeMirrorDiff(route: HTTPRoute, routeKey: string, warnings: string[]): CompiledDiffConfig | undefined {
  const raw = route.metadata.annotations?.[MIRROR_DIFF_ROUTE_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    return mirrorDiffFromRouteAnnotation(raw);
  } catch (err) {
    warnings.push(`route ${routeKey}: annotation ${MIRROR_DIFF_ROUTE_ANNOTATION} ignored: ${(err as Error).message}`);
    return undefined;
  }
}

/** One table per port of every Service in `inputs`. */
export function compileRoutingTables(inputs: RoutingInputs, client?: ClientWorkload): RoutingTable[] {
  const services = new ServiceIndex(inputs.services);
  return servicePorts(inputs.services).map((parent) => compileRoutingTable(parent, inputs, client, services));
}
