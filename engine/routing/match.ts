import type { HTTPRouteMatch } from '../resources/index.js';
import { headerValue, type LazyQuery, type RoutableRequest } from './request.js';

/** How a path is matched; the order is also the precedence order (Exact > PathPrefix > RegularExpression). */
export type PathKind = 'Exact' | 'PathPrefix' | 'RegularExpression';

interface ValueTest {
  name: string;
  exact?: string;
  regex?: RegExp;
}

/**
 * One `HTTPRouteMatch`, compiled. Within a match, path, method, headers and query params are ANDed.
 * - Exact: byte-exact, case-sensitive, query excluded.
 * - PathPrefix: on whole `/` segments; one trailing `/` of the configured value is ignored.
 * - RegularExpression (path, header, query): JS `RegExp`, anchored, so it must match the whole value.
 * - Header names are case-insensitive, query parameter names case-sensitive; when a match lists the same
 *   name twice only the first entry counts.
 */
export class CompiledMatch {
  readonly pathKind: PathKind;
  /** the configured path value (its length is the PathPrefix precedence) */
  readonly pathValue: string;
  readonly method: string | undefined;
  readonly headerCount: number;
  readonly queryCount: number;
  /** set when a regular expression does not compile: the match then never matches */
  readonly invalid: string | undefined;
  private readonly prefix: string;
  private readonly pathRegex: RegExp | undefined;
  private readonly headerTests: ValueTest[];
  private readonly queryTests: ValueTest[];

  constructor(match: HTTPRouteMatch | undefined) {
    const path = match?.path ?? { type: 'PathPrefix' as const, value: '/' };
    this.pathKind = path.type ?? 'PathPrefix';
    this.pathValue = path.value ?? '/';
    this.method = match?.method;
    const problems: string[] = [];
    this.prefix =
      this.pathValue.length > 1 && this.pathValue.endsWith('/') ? this.pathValue.slice(0, -1) : this.pathValue;
    this.pathRegex = undefined;
    if (this.pathKind === 'RegularExpression') {
      this.pathRegex = anchored(this.pathValue, problems, 'path');
    }
    this.headerTests = [];
    const seenHeaders = new Set<string>();
    for (const h of match?.headers ?? []) {
      const name = h.name.toLowerCase();
      if (seenHeaders.has(name)) continue;
      seenHeaders.add(name);
      this.headerTests.push(valueTest(name, h.type, h.value, problems, `header ${h.name}`));
    }
    this.queryTests = [];
    const seenQuery = new Set<string>();
    for (const q of match?.queryParams ?? []) {
      if (seenQuery.has(q.name)) continue;
      seenQuery.add(q.name);
      this.queryTests.push(valueTest(q.name, q.type, q.value, problems, `query param ${q.name}`));
    }
    this.headerCount = this.headerTests.length;
    this.queryCount = this.queryTests.length;
    this.invalid = problems.length > 0 ? problems.join('; ') : undefined;
  }

  /** true when this match accepts everything (PathPrefix `/`, nothing else) */
  get catchAll(): boolean {
    return (
      this.invalid === undefined &&
      this.pathKind === 'PathPrefix' &&
      this.prefix === '/' &&
      this.method === undefined &&
      this.headerCount === 0 &&
      this.queryCount === 0
    );
  }

  get usesQuery(): boolean {
    return this.queryCount > 0;
  }

  /** `end` is where the path ends in `url` (see `pathEnd`); `query` was reset for this url */
  test(req: RoutableRequest, url: string, end: number, query: LazyQuery): boolean {
    if (this.invalid !== undefined) return false;
    if (this.method !== undefined && req.method !== this.method) return false;
    if (!this.testPath(url, end)) return false;
    const hs = this.headerTests;
    if (hs.length > 0) {
      const headers = req.headers;
      for (let i = 0; i < hs.length; i++) {
        const t = hs[i] as ValueTest;
        if (!testValue(t, headerValue(headers, t.name))) return false;
      }
    }
    const qs = this.queryTests;
    for (let i = 0; i < qs.length; i++) {
      const t = qs[i] as ValueTest;
      if (!testValue(t, query.get(t.name))) return false;
    }
    return true;
  }

  private testPath(url: string, end: number): boolean {
    switch (this.pathKind) {
      case 'Exact': {
        const v = this.pathValue;
        return end === v.length && url.startsWith(v);
      }
      case 'PathPrefix': {
        const p = this.prefix;
        if (p === '/') return true;
        if (p.length > end || !url.startsWith(p)) return false;
        return end === p.length || url.charCodeAt(p.length) === 47; /* '/' */
      }
      case 'RegularExpression':
        return this.pathRegex !== undefined && this.pathRegex.test(end === url.length ? url : url.slice(0, end));
    }
  }

  /** the match as configured, for `/config` and error messages */
  describe(): Record<string, unknown> {
    const out: Record<string, unknown> = { path: { type: this.pathKind, value: this.pathValue } };
    if (this.method !== undefined) out.method = this.method;
    if (this.headerTests.length > 0) out.headers = this.headerTests.map(describeTest);
    if (this.queryTests.length > 0) out.queryParams = this.queryTests.map(describeTest);
    if (this.invalid !== undefined) out.invalid = this.invalid;
    return out;
  }
}

function describeTest(t: ValueTest): Record<string, string> {
  return t.regex !== undefined
    ? { name: t.name, type: 'RegularExpression', value: t.regex.source.slice(4, -2) }
    : { name: t.name, type: 'Exact', value: t.exact ?? '' };
}

function anchored(source: string, problems: string[], what: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    problems.push(`${what}: invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    return undefined;
  }
}

function valueTest(name: string, type: string | undefined, value: string, problems: string[], what: string): ValueTest {
  if (type === 'RegularExpression') {
    const regex = anchored(value, problems, what);
    return regex === undefined ? { name } : { name, regex };
  }
  return { name, exact: value };
}

function testValue(t: ValueTest, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (t.exact !== undefined) return actual === t.exact;
  return t.regex !== undefined && t.regex.test(actual);
}
