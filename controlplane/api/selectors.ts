import type { KubeObject } from '../../engine/resources/index.js';
import { badRequest } from './status.js';

/** One requirement of a label selector (`app=web`, `tier in (a,b)`, `!canary`, `env!=prod`). */
interface Requirement {
  key: string;
  op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export type Matcher = (o: KubeObject) => boolean;

/** Split on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseLabelTerm(term: string): Requirement {
  const r = parseLabelTermShape(term);
  if (!LABEL_KEY.test(r.key) || r.values.some((v) => !LABEL_VALUE.test(v)))
    throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}: invalid label key or value`);
  return r;
}

function parseLabelTermShape(term: string): Requirement {
  let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m)
    return {
      key: m[1]!,
      op: m[2] as 'in' | 'notin',
      values: m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    };
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) return { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] };
  m = /^!\s*([^=!\s]+)$/.exec(term);
  if (m) return { key: m[1]!, op: '!exists', values: [] };
  if (/^[^=!\s()]+$/.test(term)) return { key: term, op: 'exists', values: [] };
  throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
}

function test(r: Requirement, value: string | undefined): boolean {
  switch (r.op) {
    case '=':
      return value === r.values[0];
    case '!=':
      return value !== r.values[0];
    case 'in':
      return value !== undefined && r.values.includes(value);
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!exists':
      return value === undefined;
  }
}

/** `labelSelector` as the API server reads it (equality- and set-based). Throws 400 when malformed. */
export function labelSelector(s: string | undefined): Matcher {
  if (!s) return () => true;
  const reqs = splitTerms(s).map(parseLabelTerm);
  return (o) => reqs.every((r) => test(r, o.metadata.labels?.[r.key]));
}

/** a dotted field of the object as a string (`involvedObject.name`), as field selectors compare them */
function fieldGetter(path: string): (o: KubeObject) => string | undefined {
  return (o) => {
    let cur: unknown = o;
    for (const p of path.split('.')) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur === undefined || cur === null || typeof cur === 'object' ? undefined : String(cur as string);
  };
}

const SELECTABLE = /^(metadata\.(name|namespace)|involvedObject\.\w+|reason|type|source|spec\.\w+|status\.\w+)$/;

/**
 * `fieldSelector` (`=`, `==`, `!=`) on metadata.name and metadata.namespace, as every kind supports, and
 * the fields kubectl selects Events and Pods by (involvedObject.*, reason, type, spec.*, status.*).
 */
export function fieldSelector(s: string | undefined): Matcher {
  if (!s) return () => true;
  const reqs = splitTerms(s).map((term) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(term)}`);
    if (!SELECTABLE.test(m[1]!)) throw badRequest(`field label not supported: ${m[1]!}`);
    const get = fieldGetter(m[1]!);
    return { get, neg: m[2] === '!=', value: m[3]! };
  });
  return (o) => reqs.every((r) => (r.get(o) === r.value) !== r.neg);
}
