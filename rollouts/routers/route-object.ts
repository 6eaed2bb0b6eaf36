import type { RouteWeights } from '../../engine/canary/index.js';
import { decodeResource, type GRPCRoute, type HTTPRoute } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { MANAGED_BY } from '../targets/deployment.js';

/** what HTTPRoute and GRPCRoute rules have in common, as far as a canary's weights go */
interface WeightedRule {
  filters?: ReadonlyArray<{ type: string; requestMirror?: { backendRef: { name: string } } }>;
  backendRefs?: ReadonlyArray<{
    name: string;
    weight?: number;
    filters?: ReadonlyArray<{ type: string; requestMirror?: { backendRef: { name: string } } }>;
  }>;
}

/**
 * Weights and mirroring read back from a route's weighted rule: the last rule with both the primary and the
 * canary backendRef (session-affinity rules come before it, the A/B primary-only rule after it).
 */
export function readWeights(
  rules: readonly WeightedRule[],
  names: { primary: string; canary: string },
): RouteWeights | undefined {
  const both = rules.filter((r) => {
    const refs = (r.backendRefs ?? []).map((b) => b.name);
    return refs.includes(names.primary) && refs.includes(names.canary);
  });
  const rule = both[both.length - 1] ?? rules[0];
  const refs = rule?.backendRefs ?? [];
  const primary = refs.find((r) => r.name === names.primary);
  const canaryRef = refs.find((r) => r.name === names.canary);
  if (!primary && !canaryRef) return undefined;
  const mirrors = (filters: WeightedRule['filters']) =>
    (filters ?? []).some((f) => f.type === 'RequestMirror' && f.requestMirror?.backendRef.name === names.canary);
  const mirrored = mirrors(rule?.filters) || mirrors(primary?.filters);
  return { primary: primary?.weight ?? 0, canary: canaryRef?.weight ?? 0, ...(mirrored ? { mirrored } : {}) };
}

/** true when a rule of the route sends to the generated `-primary` Service: the route is the canary's */
export function routesToPrimary(rules: readonly WeightedRule[], primary: string): boolean {
  return rules.some((r) => (r.backendRefs ?? []).some((b) => b.name === primary));
}

/**
 * Apply `want` unless the stored route already says the same (spec, labels, annotations, compared in their
 * decoded form so that defaults do not count as changes).
 */
export async function writeRoute(
  store: ResourceStore,
  want: HTTPRoute | GRPCRoute,
  have: HTTPRoute | GRPCRoute | undefined,
): Promise<void> {
  const decoded = decodeResource(structuredClone(want));
  const normal = decoded.ok ? (decoded.object as HTTPRoute | GRPCRoute) : want;
  if (
    have &&
    JSON.stringify(have.spec) === JSON.stringify(normal.spec) &&
    JSON.stringify(have.metadata.labels ?? {}) === JSON.stringify(normal.metadata.labels ?? {}) &&
    JSON.stringify(have.metadata.annotations ?? {}) === JSON.stringify(normal.metadata.annotations ?? {})
  ) {
    return;
  }
  await store.apply(want, { manager: MANAGED_BY });
}
