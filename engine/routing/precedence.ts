import type { CompiledMatch } from './match.js';

/** What ranks one match against another, across all rules of all routes attached to a parent. */
export interface RankedMatch {
  match: CompiledMatch;
  /** ms since epoch of the route's `metadata.creationTimestamp`; Infinity when unknown (ranks last) */
  routeCreated: number;
  /** `namespace/name` of the route */
  routeKey: string;
  ruleIndex: number;
  matchIndex: number;
}

function pathRank(m: CompiledMatch): number {
  return m.pathKind === 'Exact' ? 2 : m.pathKind === 'PathPrefix' ? 1 : 0;
}

/**
 * Gateway API precedence (HTTPRouteRule.matches): Exact path, then the longest PathPrefix (characters of
 * the configured value), then RegularExpression paths (Weir ranks them after every prefix, longer
 * pattern first); then a method match; most header matches; most query param matches; then the oldest
 * route; then `namespace/name` alphabetically; then rule order and match order within the route.
 * Negative when `a` wins.
 */
export function comparePrecedence(a: RankedMatch, b: RankedMatch): number {
  const ma = a.match;
  const mb = b.match;
  return (
    pathRank(mb) - pathRank(ma) ||
    (ma.pathKind === 'Exact' ? 0 : mb.pathValue.length - ma.pathValue.length) ||
    (mb.method !== undefined ? 1 : 0) - (ma.method !== undefined ? 1 : 0) ||
    mb.headerCount - ma.headerCount ||
    mb.queryCount - ma.queryCount ||
    compareCreated(a.routeCreated, b.routeCreated) ||
    (a.routeKey < b.routeKey ? -1 : a.routeKey > b.routeKey ? 1 : 0) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

function compareCreated(a: number, b: number): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function creationTime(timestamp: string | undefined): number {
  if (timestamp === undefined) return Number.POSITIVE_INFINITY;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}
