import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../engine/resources/index.js';
import { ApiStatusError } from './status.js';
import { mergeKeyOf } from './strategic-merge.js';

/**
 * Server-side apply: who manages which field (`metadata.managedFields`, FieldsV1), conflicts between
 * managers, and merging an applied configuration into the live object. A field path is a list of
 * segments `f:<field>` or `k:<json of the merge key>` (an item of a keyed list), as in FieldsV1.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** the manager of `kubectl apply` without --server-side */
const CLIENT_SIDE_APPLY = 'kubectl-client-side-apply';

/** metadata fields the server owns; never part of a manager's set */
const SERVER_FIELDS = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'name',
  'namespace',
  'deletionTimestamp',
]);

/** Every leaf field path of `value` (lists without a merge key are one field). */
export function fieldPaths(obj: JsonObject, opts: { status?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  const walk = (v: Json, path: string[], field: string): void => {
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, c] of Object.entries(v)) walk(c, [...path, `f:${k}`], k);
      return;
    }
    if (Array.isArray(v) && v.length > 0) {
      const key = mergeKeyOf(field, v);
      if (key && v.every((i) => isObject(i) && i[key] !== undefined)) {
        for (const item of v as JsonObject[]) {
          const itemPath = [...path, `k:${JSON.stringify({ [key]: item[key] })}`];
          out.add(JSON.stringify([...itemPath, '.']));
          for (const [k, c] of Object.entries(item)) walk(c, [...itemPath, `f:${k}`], k);
        }
        return;
      }
    }
    out.add(JSON.stringify(path));
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || (k === 'status' && !opts.status)) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_FIELDS.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], mk);
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

export function toFieldsV1(paths: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const seg of JSON.parse(p) as string[]) {
      if (seg === '.') {
        node['.'] = {};
        continue;
      }
      node = (node[seg] ??= {}) as JsonObject;
    }
  }
  return root;
}

export function fromFieldsV1(fields: JsonObject): Set<string> {
  const out = new Set<string>();
  const walk = (node: JsonObject, path: string[]): void => {
    const entries = Object.entries(node);
    if (entries.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const [k, v] of entries) {
      if (k === '.') out.add(JSON.stringify([...path, '.']));
      else if (isObject(v)) walk(v, [...path, k]);
    }
  };
  walk(fields, []);
  return out;
}

function step(v: Json, seg: string): Json {
  if (seg.startsWith('f:')) return isObject(v) ? v[seg.slice(2)] : undefined;
  if (seg.startsWith('k:') && Array.isArray(v)) {
    const key = JSON.parse(seg.slice(2)) as JsonObject;
    return v.find((i) => isObject(i) && Object.entries(key).every(([k, kv]) => isDeepStrictEqual(i[k], kv)));
  }
  return undefined;
}

function valueAt(obj: Json, path: string): Json {
  let cur = obj;
  for (const seg of JSON.parse(path) as string[]) {
    if (seg === '.') return cur === undefined ? undefined : true;
    cur = step(cur, seg);
  }
  return cur;
}

/** remove the field at `path` (an item of a keyed list when the path ends in `.`) */
function removeAt(obj: JsonObject, path: string): void {
  const segs = (JSON.parse(path) as string[]).filter((s) => s !== '.');
  const parents: Json[] = [obj];
  for (const seg of segs.slice(0, -1)) parents.push(step(parents[parents.length - 1], seg));
  const cur = parents[parents.length - 1];
  const last = segs[segs.length - 1];
  if (last === undefined) return;
  if (last.startsWith('f:') && isObject(cur)) delete cur[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(cur)) {
    const item = step(cur, last);
    const i = cur.indexOf(item);
    if (i >= 0) cur.splice(i, 1);
  }
  // maps left empty go too, as the API server's types omit them (`labels: {}` -> no labels)
  for (let i = parents.length - 1; i > 0; i--) {
    const child = parents[i];
    const parent = parents[i - 1];
    const seg = segs[i - 1]!;
    if (!isObject(child) || Object.keys(child).length > 0 || !isObject(parent) || !seg.startsWith('f:')) break;
    delete parent[seg.slice(2)];
  }
}

/** merge `applied` into `live`: objects field by field, keyed lists item by item, everything else replaced */
function mergeApplied(live: Json, applied: Json, field: string): Json {
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, k);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const key = mergeKeyOf(field, applied);
    if (key && applied.every((i) => isObject(i) && i[key] !== undefined)) {
      const out = [...live];
      for (const item of applied as JsonObject[]) {
        const i = out.findIndex((o) => isObject(o) && isDeepStrictEqual(o[key], item[key]));
        if (i >= 0) out[i] = mergeApplied(out[i], item, field);
        else out.push(item);
      }
      return out;
    }
  }
  return structuredClone(applied);
}

export function managersOf(o: KubeObject | undefined): ManagedFieldsEntry[] {
  const mf = (o?.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  return Array.isArray(mf) ? (mf as ManagedFieldsEntry[]) : [];
}

function entry(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  paths: Set<string>,
  subresource?: string,
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(paths),
    ...(subresource ? { subresource } : {}),
  };
}

function withManagers(o: JsonObject, managers: ManagedFieldsEntry[]): JsonObject {
  const metadata = { ...(o.metadata as JsonObject) };
  const kept = managers.filter((m) => Object.keys(m.fieldsV1).length > 0);
  if (kept.length > 0) metadata.managedFields = kept;
  else delete metadata.managedFields;
  return { ...o, metadata };
}

/**
 * The object after `manager` applied `applied` (server-side apply): conflicts with other managers' fields
 * whose values differ are 409 unless `force`; fields this manager applied before and no longer applies
 * are removed unless another manager also owns them.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: JsonObject,
  manager: string,
  force: boolean,
  subresource?: 'status',
): JsonObject {
  const status = subresource === 'status';
  const appliedPaths = fieldPaths(status ? { status: applied.status } : applied, { status });
  const managers = managersOf(live).map((m) => ({ ...m, paths: fromFieldsV1(m.fieldsV1) }));
  const mine = managers.find((m) => m.manager === manager && m.operation === 'Apply' && m.subresource === subresource);
  const conflicts: { manager: string; field: string }[] = [];
  for (const m of managers) {
    if (m === mine) continue;
    for (const p of appliedPaths) {
      if (!m.paths.has(p) || p.endsWith('"."]')) continue;
      if (!isDeepStrictEqual(valueAt(live, p), valueAt(applied, p))) {
        // upgrading from client-side apply: kubectl's fields pass to the applier without conflicts
        if (force || m.manager === CLIENT_SIDE_APPLY) m.paths.delete(p);
        else
          conflicts.push({
            manager: m.manager,
            field: (JSON.parse(p) as string[]).map((s) => s.replace(/^f:/, '')).join('.'),
          });
      }
    }
  }
  if (conflicts.length > 0) {
    const list = conflicts.map((c) => `conflict with "${c.manager}": .${c.field}`).join('\n- ');
    throw new ApiStatusError(
      409,
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${list}`,
      {
        causes: conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${c.manager}"`,
          field: `.${c.field}`,
        })),
      },
    );
  }
  const result = structuredClone((live ?? {}) as JsonObject);
  for (const p of mine?.paths ?? []) {
    if (appliedPaths.has(p)) continue;
    if (managers.some((m) => m !== mine && m.paths.has(p))) continue;
    removeAt(result, p);
  }
  const source = status ? { status: applied.status } : { ...applied };
  if (!status) delete source.status;
  const merged = mergeApplied(result, source, '') as JsonObject;
  const apiVersion = String(applied.apiVersion ?? live?.apiVersion ?? '');
  const next = managers.filter((m) => m !== mine).map(({ paths, ...m }) => ({ ...m, fieldsV1: toFieldsV1(paths) }));
  next.push(entry(manager, 'Apply', apiVersion, appliedPaths, subresource));
  return withManagers(merged, next);
}

/**
 * Record an update (PUT, PATCH, POST) by `manager`: it now owns the fields it changed, and the other
 * managers lose them.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: JsonObject,
  manager: string,
  subresource?: 'status',
): JsonObject {
  const status = subresource === 'status';
  const afterPaths = fieldPaths(after, { status });
  const changed = new Set(
    [...afterPaths].filter((p) => !before || !isDeepStrictEqual(valueAt(before, p), valueAt(after, p))),
  );
  const managers = managersOf(before).map((m) => ({ ...m, paths: fromFieldsV1(m.fieldsV1) }));
  for (const m of managers) {
    for (const p of [...m.paths]) if (changed.has(p) || (!afterPaths.has(p) && !p.endsWith('"."]'))) m.paths.delete(p);
  }
  const mine = managers.find((m) => m.manager === manager && m.operation === 'Update' && m.subresource === subresource);
  const owned = new Set([...(mine?.paths ?? []), ...changed]);
  const next = managers.filter((m) => m !== mine).map(({ paths, ...m }) => ({ ...m, fieldsV1: toFieldsV1(paths) }));
  if (owned.size > 0) next.push(entry(manager, 'Update', String(after.apiVersion ?? ''), owned, subresource));
  return withManagers(after, next);
}
