import fc from 'fast-check';
import { formatPath, kinds } from '../../../engine/resources/index.js';
import { VALID_MANIFESTS } from './valid-manifests.js';

/** a valid manifest of every kind of the registry: hand-written ones, and the bare shape of kept-as-is kinds */
export function validManifestOf(kind: string): Record<string, unknown> {
  const known = VALID_MANIFESTS[kind];
  if (known !== undefined) return structuredClone(known);
  const info = kinds[kind]!;
  return {
    apiVersion: info.group === '' ? info.version : `${info.group}/${info.version}`,
    kind,
    metadata: info.namespaced ? { name: 'x', namespace: 'test' } : { name: 'x' },
  };
}

type Path = Array<string | number>;

/** every path of `value` (objects and arrays walked), the root excluded */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const out: Path[] = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf(v, p));
  }
  return out;
}

export const DELETE = Symbol('delete');
/** values of a wrong type or out of range, for any field */
export const wrongValue = fc.constantFrom<unknown>(
  DELETE,
  null,
  42,
  -1,
  1.5,
  true,
  '',
  'not-a-valid-value!',
  'x'.repeat(5_000),
  [],
  [1, 'two'],
  {},
  { unexpected: 1 },
);

export interface Mutation {
  kind: string;
  path: Path;
  value: unknown;
  object: Record<string, unknown>;
}

/** a valid manifest of any kind with one field replaced by a wrong value (or deleted) */
export const mutatedManifest: fc.Arbitrary<Mutation> = fc
  .record({ kind: fc.constantFrom(...Object.keys(kinds)), pick: fc.nat(), value: wrongValue })
  .map(({ kind, pick, value }) => {
    const object = validManifestOf(kind);
    const paths = pathsOf(object);
    const path = paths[pick % paths.length]!;
    let parent: Record<string | number, unknown> = object;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (value === DELETE) {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else parent[last] = value;
    return { kind, path, value, object };
  });

export function pathText(path: Path): string {
  return formatPath(path);
}
