/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the built-in kinds: objects merge
 * field by field, `null` deletes, lists of objects with a merge key (containers by name, ports by port,
 * env by name, conditions by type...) merge item by item, other lists are replaced; the directives
 * `$patch: replace|delete|merge`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and
 * `$retainKeys` are honoured. No npm library implements it; the merge keys are those of the Kubernetes
 * API types Weir serves.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `patchMergeKey` of list fields in core/apps/discovery types, by field name. */
function mergeKeyOf(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'conditions':
      return 'type';
    case 'hostAliases':
      return 'ip';
    case 'ownerReferences':
      return 'uid';
    case 'ports':
      // container ports merge on containerPort, Service ports on port
      return items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port';
    default:
      return undefined;
  }
}

function sameKey(a: Json, b: Json, key: string): boolean {
  return isObject(a) && isObject(b) && JSON.stringify(a[key]) === JSON.stringify(b[key]);
}

function mergeList(field: string, original: Json[], patch: Json[]): Json[] {
  const key = mergeKeyOf(field, [...original, ...patch]);
  if (!key || !patch.every(isObject)) return patch.filter((p) => !(isObject(p) && p.$patch === 'delete'));
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace'));
  }
  const out = original.map((o) => structuredClone(o));
  for (const p of patch as JsonObject[]) {
    const i = out.findIndex((o) => sameKey(o, p, key));
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = strategicMerge(out[i], p);
    else out.push(strategicMerge(undefined, p));
  }
  return out;
}

function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const pos = (item: Json) =>
    order.findIndex((o) =>
      key && isObject(item) ? sameKey(item, o, key) : JSON.stringify(o) === JSON.stringify(item),
    );
  const known = list.filter((i) => pos(i) >= 0).sort((a, b) => pos(a) - pos(b));
  return [...known, ...list.filter((i) => pos(i) < 0)];
}

/** Apply a strategic merge patch to `original` (which is not modified). */
export function strategicMerge(original: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'delete') return undefined;
  const base: JsonObject = isObject(original) && patch.$patch !== 'replace' ? structuredClone(original) : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.map(String)) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(base[field])) base[field] = base[field].filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete base[k];
      continue;
    }
    if (Array.isArray(v)) base[k] = mergeList(k, Array.isArray(base[k]) ? base[k] : [], v);
    else if (isObject(v)) {
      const merged = strategicMerge(base[k], v);
      if (merged === undefined) delete base[k];
      else base[k] = merged;
    } else base[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(v)) continue;
    const field = k.slice('$setElementOrder/'.length);
    const list = base[field];
    if (Array.isArray(list)) base[field] = reorder(list, v, mergeKeyOf(field, list));
  }
  if (retain) for (const k of Object.keys(base)) if (!retain.has(k)) delete base[k];
  return base;
}

export { mergeKeyOf };
