import type { HTTPRoute, HTTPRouteRule } from '../resources/index.js';

/**
 * Rules that apply only to clients whose workload has certain labels: Istio's `sourceLabels` (Flagger's
 * `analysis.match[].sourceLabels`), which the Gateway API has no field for. The canary router names such rules
 * and lists them in this annotation of the route, as JSON `{"<rule name>": {"<label>": "<value>", ...}}`; a
 * client's proxy compiles a listed rule only when its own workload carries every one of those labels, so the
 * choice costs nothing per request. A client without workload labels (outside the mesh) never gets such a rule.
 */
export const SOURCE_LABELS_ANNOTATION = 'weir.io/source-labels';

/** The calling workload a routing table is compiled for. */
export interface ClientWorkload {
  /** its namespace: GAMMA consumer routes of that namespace apply */
  namespace?: string;
  /** its pod labels: rules scoped by `SOURCE_LABELS_ANNOTATION` apply when they select them */
  labels?: Readonly<Record<string, string>>;
}

type Selectors = ReadonlyMap<string, Readonly<Record<string, string>>>;

/** the route's source-label selectors by rule name; a malformed annotation is reported and scopes nothing */
export function sourceSelectors(route: HTTPRoute, warnings: string[]): Selectors {
  const raw = route.metadata.annotations?.[SOURCE_LABELS_ANNOTATION];
  if (raw === undefined) return new Map();
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const out = new Map<string, Record<string, string>>();
    for (const [rule, labels] of Object.entries(parsed as Record<string, unknown>)) {
      if (labels === null || typeof labels !== 'object' || Array.isArray(labels))
        throw new Error(`${rule}: not a label map`);
      const entries = Object.entries(labels as Record<string, unknown>);
      if (entries.some(([, v]) => typeof v !== 'string')) throw new Error(`${rule}: label values must be strings`);
      out.set(rule, labels as Record<string, string>);
    }
    return out;
  } catch (err) {
    const ns = route.metadata.namespace ?? 'default';
    warnings.push(
      `route ${ns}/${route.metadata.name}: annotation ${SOURCE_LABELS_ANNOTATION} ignored: ${(err as Error).message}`,
    );
    return new Map();
  }
}

/** whether a rule applies to requests from this client */
export function ruleAppliesTo(rule: HTTPRouteRule, selectors: Selectors, client: ClientWorkload | undefined): boolean {
  if (rule.name === undefined) return true;
  const want = selectors.get(rule.name);
  if (want === undefined) return true;
  const have = client?.labels;
  if (have === undefined) return false;
  return Object.entries(want).every(([k, v]) => have[k] === v);
}
