import type { HTTPPathModifier } from '../resources/index.js';
import { pathEnd } from './request.js';

/**
 * A compiled `HTTPPathModifier` (shared by URLRewrite and RequestRedirect):
 * - `ReplaceFullPath`: the whole path becomes `value` (`""` means `/`);
 * - `ReplacePrefixMatch`: the rule's PathPrefix match value is replaced element-wise. One trailing `/`
 *   of the match value and of the replacement is ignored, and the result is never empty and never
 *   starts with `//`: `out = strip(replacement) + path.slice(strip(prefix).length) || "/"`.
 * The query string is kept as it was.
 */
export type PathModifier =
  | { readonly kind: 'ReplaceFullPath'; readonly value: string }
  | { readonly kind: 'ReplacePrefixMatch'; readonly prefix: string; readonly replacement: string };

function stripOneTrailingSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

/**
 * Compile a path modifier. `matchPrefix` is the value of the rule's single PathPrefix match (the schema
 * enforces that a rule using ReplacePrefixMatch has exactly one); undefined when the rule has none,
 * in which case `problem` explains and the modifier is left out.
 */
export function compilePathModifier(
  m: HTTPPathModifier,
  matchPrefix: string | undefined,
): { modifier?: PathModifier; problem?: string } {
  if (m.type === 'ReplaceFullPath') {
    const v = m.replaceFullPath ?? '';
    return { modifier: { kind: 'ReplaceFullPath', value: v === '' ? '/' : v } };
  }
  if (matchPrefix === undefined) {
    return { problem: 'ReplacePrefixMatch needs exactly one PathPrefix match in the rule; path left unchanged' };
  }
  return {
    modifier: {
      kind: 'ReplacePrefixMatch',
      prefix: stripOneTrailingSlash(matchPrefix),
      replacement: stripOneTrailingSlash(m.replacePrefixMatch ?? ''),
    },
  };
}

/** The new path (without query) for `path`; a path that does not start with the prefix is kept. */
export function modifyPath(path: string, m: PathModifier): string {
  if (m.kind === 'ReplaceFullPath') return m.value;
  const p = m.prefix;
  if (!path.startsWith(p)) return path;
  const rest = path.slice(p.length);
  if (rest !== '' && rest.charCodeAt(0) !== 47 /* / */) return path;
  const out = m.replacement + rest;
  return out === '' ? '/' : out;
}

/** `modifyPath` on an origin-form request target, keeping `?query` (and `#fragment`) as they were. */
export function modifyTarget(url: string, m: PathModifier): string {
  const end = pathEnd(url);
  return end === url.length ? modifyPath(url, m) : modifyPath(url.slice(0, end), m) + url.slice(end);
}

/** A compiled URLRewrite filter. */
export interface CompiledRewrite {
  /** replaces the Host header sent upstream */
  readonly hostname: string | undefined;
  readonly path: PathModifier | undefined;
}
