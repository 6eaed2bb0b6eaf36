import { parse } from 'yaml';
import { decodeResource, formatResourceError, type KubeObject } from '../../../engine/resources/index.js';

export type Doc = Record<string, unknown>;

/** One YAML document as a plain object. */
export function yamlDoc(text: string): Doc {
  return parse(text) as Doc;
}

function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`bad path ${path}`);
    if (m[1]) out.push(m[1]);
    for (const i of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

/**
 * A copy of `doc` with the field at `path` (`spec.rules[0].matches`, or a key list for keys holding dots)
 * set to `value`; `undefined` deletes it. Missing intermediate objects are created.
 */
export function withField(doc: Doc, path: string | (string | number)[], value: unknown): Doc {
  const copy = structuredClone(doc);
  const keys = typeof path === 'string' ? splitPath(path) : path;
  let cur = copy as Record<string | number, unknown>;
  keys.slice(0, -1).forEach((k, i) => {
    if (cur[k] === undefined || cur[k] === null)
      cur[k] = typeof keys[i + 1] === 'number' ? [] : ({} as Record<string, unknown>);
    cur = cur[k] as Record<string | number, unknown>;
  });
  const last = keys[keys.length - 1] as string | number;
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

export interface Decoded {
  object?: KubeObject;
  errors: string[];
  warnings: string[];
}

/** Decode one document as document 1 of `file`, with errors formatted as users see them. */
export function decode(doc: unknown, file = 'test.yaml'): Decoded {
  const r = decodeResource(doc, { file, doc: 1 });
  return r.ok
    ? { object: r.object, errors: [], warnings: r.warnings }
    : { errors: r.errors.map(formatResourceError), warnings: r.warnings };
}
