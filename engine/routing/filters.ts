import type { CompiledDiffConfig } from '../mirror-diff/config.js';
import type { HTTPBackendRef, HTTPHeaderFilter, HTTPRouteFilter } from '../resources/index.js';
import type { RuleBackend } from './backends.js';
import { CompiledCors } from './cors.js';
import { CompiledRedirect } from './redirect.js';
import { compilePathModifier, type CompiledRewrite, type PathModifier } from './rewrite.js';

/**
 * A compiled RequestHeaderModifier / ResponseHeaderModifier. Names compare case-insensitively:
 * `set` replaces every value of the header with one line, `add` appends to the existing values as one
 * `old,new` line (no space), `remove` drops every line of the header.
 */
export interface HeaderEdit {
  /** lower-case names whose lines are dropped from the input (every `set` and `remove` name) */
  readonly drop: ReadonlySet<string>;
  /** lower-case `add` name -> position in `add` */
  readonly addIndex: ReadonlyMap<string, number>;
  /** header lines appended as given: `[name, value, ...]` */
  readonly set: readonly string[];
  /** `[name, value, ...]` in configured case */
  readonly add: readonly string[];
  /** `lengths[n] === 1` when some name in this edit has length n (a cheap pre-check before lower-casing) */
  readonly lengths: Uint8Array;
}

/** A mirror: one copy of each request, to one endpoint of `backend`, with probability num/den. */
export interface CompiledMirror {
  readonly backend: RuleBackend;
  readonly numerator: number;
  readonly denominator: number;
  /** compare the mirror's answers with the primary's (route annotation `weir.io/mirror-diff-config`) */
  readonly diff?: CompiledDiffConfig;
  /** `ns/name` of the route, for the diff's metrics */
  readonly route?: string;
}

/** One request-side step, run in the order the filters are listed. */
export type FilterStep =
  | { readonly kind: 'headers'; readonly edit: HeaderEdit }
  | { readonly kind: 'rewrite'; readonly rewrite: CompiledRewrite }
  | { readonly kind: 'mirror'; readonly mirror: CompiledMirror }
  | { readonly kind: 'redirect'; readonly redirect: CompiledRedirect }
  /** CORS: answers preflights itself, adds the CORS headers to other responses (cors.ts) */
  | { readonly kind: 'cors'; readonly cors: CompiledCors }
  /** a filter Weir must not skip and cannot apply (ExtensionRef, ExternalAuth): the request fails */
  | { readonly kind: 'fail'; readonly status: number; readonly reason: string };

/** A filter list (of a rule or of a backendRef), compiled. */
export interface CompiledFilters {
  readonly steps: readonly FilterStep[];
  /** the ResponseHeaderModifier of the list */
  readonly response: HeaderEdit | undefined;
  /** true when some step is a mirror (the proxy then buffers small request bodies) */
  readonly mirrors: boolean;
}

export interface FilterContext {
  /** resolve a mirror's backendRef as a rule backend would be */
  resolve(ref: HTTPBackendRef): RuleBackend;
  /** the value of the rule's single PathPrefix match, for ReplacePrefixMatch */
  matchPrefix: string | undefined;
  /** `route ns/name rule i` (plus the backend for backendRef filters), for warnings */
  label: string;
  warnings: string[];
  /** the route's mirror-diff config, given to each of its mirrors */
  diff?: CompiledDiffConfig | undefined;
  routeKey?: string;
}

export function compileHeaderEdit(f: HTTPHeaderFilter): HeaderEdit | undefined {
  const drop = new Set<string>();
  const addIndex = new Map<string, number>();
  const set: string[] = [];
  const add: string[] = [];
  const lengths = new Uint8Array(257);
  for (const h of f.set ?? []) {
    drop.add(h.name.toLowerCase());
    set.push(h.name, h.value);
    lengths[h.name.length] = 1;
  }
  for (const h of f.add ?? []) {
    addIndex.set(h.name.toLowerCase(), add.length / 2);
    add.push(h.name, h.value);
    lengths[h.name.length] = 1;
  }
  for (const name of f.remove ?? []) {
    drop.add(name.toLowerCase());
    lengths[name.length] = 1;
  }
  if (set.length === 0 && add.length === 0 && drop.size === 0) return undefined;
  return { drop, addIndex, set, add, lengths };
}

function fraction(m: NonNullable<HTTPRouteFilter['requestMirror']>): { numerator: number; denominator: number } {
  if (m.fraction !== undefined) return { numerator: m.fraction.numerator, denominator: m.fraction.denominator };
  return { numerator: m.percent ?? 100, denominator: 100 };
}

/**
 * Compile one filter list. Returns undefined for an empty list. Problems (a mirror backend that does
 * not resolve) are pushed to `ctx.warnings`; ExtensionRef and
 * ExternalAuth, which must not be skipped, make the affected requests fail with 500.
 */
export function compileFilters(
  filters: readonly HTTPRouteFilter[] | undefined,
  ctx: FilterContext,
): CompiledFilters | undefined {
  if (filters === undefined || filters.length === 0) return undefined;
  const steps: FilterStep[] = [];
  let response: HeaderEdit | undefined;
  let mirrors = false;
  const pathModifier = (m: Parameters<typeof compilePathModifier>[0], what: string): PathModifier | undefined => {
    const r = compilePathModifier(m, ctx.matchPrefix);
    if (r.problem !== undefined) ctx.warnings.push(`${ctx.label}: ${what}: ${r.problem}`);
    return r.modifier;
  };
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier': {
        const edit = f.requestHeaderModifier && compileHeaderEdit(f.requestHeaderModifier);
        if (edit !== undefined) steps.push({ kind: 'headers', edit });
        break;
      }
      case 'ResponseHeaderModifier':
        response = f.responseHeaderModifier && compileHeaderEdit(f.responseHeaderModifier);
        break;
      case 'URLRewrite': {
        const u = f.urlRewrite ?? {};
        const path = u.path !== undefined ? pathModifier(u.path, 'URLRewrite') : undefined;
        if (u.hostname !== undefined || path !== undefined) {
          steps.push({ kind: 'rewrite', rewrite: { hostname: u.hostname, path } });
        }
        break;
      }
      case 'RequestRedirect': {
        const r = f.requestRedirect;
        if (r === undefined) break;
        const path = r.path !== undefined ? pathModifier(r.path, 'RequestRedirect') : undefined;
        steps.push({
          kind: 'redirect',
          redirect: new CompiledRedirect(r.statusCode, r.scheme, r.hostname, r.port, path),
        });
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (m === undefined) break;
        const backend = ctx.resolve({ ...m.backendRef, weight: 1 });
        if (backend.target === undefined) {
          ctx.warnings.push(`${ctx.label}: RequestMirror dropped: ${backend.reason}`);
          break;
        }
        const { numerator, denominator } = fraction(m);
        if (numerator <= 0) break;
        const diff = ctx.diff !== undefined ? { diff: ctx.diff, route: ctx.routeKey ?? ctx.label } : {};
        steps.push({ kind: 'mirror', mirror: { backend, numerator, denominator, ...diff } });
        mirrors = true;
        break;
      }
      case 'CORS':
        if (f.cors !== undefined) steps.push({ kind: 'cors', cors: new CompiledCors(f.cors) });
        break;
      case 'ExtensionRef':
      case 'ExternalAuth': {
        const reason = `${ctx.label}: filter ${f.type}${f.extensionRef ? ` ${f.extensionRef.kind}/${f.extensionRef.name}` : ''} is not supported`;
        ctx.warnings.push(`${reason}; its requests are answered 500`);
        steps.push({ kind: 'fail', status: 500, reason });
        break;
      }
    }
  }
  if (steps.length === 0 && response === undefined) return undefined;
  return { steps, response, mirrors };
}

/** The filter list as `/config` shows it. */
export function describeFilters(f: CompiledFilters): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = f.steps.map((s) => {
    switch (s.kind) {
      case 'headers':
        return { type: 'RequestHeaderModifier', ...describeEdit(s.edit) };
      case 'rewrite':
        return {
          type: 'URLRewrite',
          ...(s.rewrite.hostname ? { hostname: s.rewrite.hostname } : {}),
          ...(s.rewrite.path ? { path: s.rewrite.path } : {}),
        };
      case 'mirror':
        return {
          type: 'RequestMirror',
          backend: s.mirror.backend.name,
          fraction: `${s.mirror.numerator}/${s.mirror.denominator}`,
          ...(s.mirror.diff !== undefined ? { diff: describeDiff(s.mirror.diff) } : {}),
        };
      case 'redirect':
        return { type: 'RequestRedirect', ...s.redirect.describe() };
      case 'cors':
        return { type: 'CORS', ...s.cors.describe() };
      case 'fail':
        return { type: 'unsupported', status: s.status, reason: s.reason };
    }
  });
  if (f.response !== undefined) out.push({ type: 'ResponseHeaderModifier', ...describeEdit(f.response) });
  return out;
}

function pairs(flat: readonly string[]): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ name: flat[i] as string, value: flat[i + 1] as string });
  return out;
}

function describeEdit(e: HeaderEdit): Record<string, unknown> {
  const setNames = new Set<string>();
  for (let i = 0; i < e.set.length; i += 2) setNames.add((e.set[i] as string).toLowerCase());
  const remove = [...e.drop].filter((n) => !setNames.has(n));
  return {
    ...(e.set.length > 0 ? { set: pairs(e.set) } : {}),
    ...(e.add.length > 0 ? { add: pairs(e.add) } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}

function describeDiff(d: CompiledDiffConfig): Record<string, unknown> {
  return { ignore: d.ignore, headers: d.headers, maxBodyBytes: d.maxBodyBytes, noiseSample: d.noiseSample };
}
