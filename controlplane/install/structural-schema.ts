/**
 * JSON Schema (draft 2020-12, as zod 4's `z.toJSONSchema` writes it) -> a Kubernetes *structural* schema
 * (apiextensions.k8s.io/v1 `openAPIV3Schema`):
 * - every node has a `type`, or `x-kubernetes-int-or-string` / `x-kubernetes-preserve-unknown-fields`;
 * - no `$ref`, `$schema`, `const`, `propertyNames`, `default`; no `anyOf`/`oneOf` that carry types:
 *   a nullable union becomes `nullable: true`, a union of objects is merged, integer|string becomes
 *   `x-kubernetes-int-or-string`, any other mix keeps the value as written (`preserve-unknown-fields`);
 * - `properties` and `additionalProperties` never together: a zod loose object (`additionalProperties: {}`)
 *   keeps its unknown fields (`x-kubernetes-preserve-unknown-fields: true`) instead of having them pruned;
 * - draft 2020's numeric `exclusiveMinimum` becomes OpenAPI 3.0's `minimum` + `exclusiveMinimum: true`;
 * - only regular expressions that Go's RE2 also reads are kept (no look-around, no back-references).
 * Zod stays the validator at the edge (the controller and the store decode every object with it); the CRD
 * schema is what the API server checks and prunes by, so where in doubt it keeps rather than rejects.
 */

export type JsonSchema = Record<string, unknown>;

const KEPT_FORMATS = new Set([
  'int32',
  'int64',
  'float',
  'double',
  'byte',
  'date',
  'date-time',
  'duration',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'uuid',
]);

const PRESERVE = { 'x-kubernetes-preserve-unknown-fields': true } as const;

/** Regular expressions Go's RE2 cannot read: look-around and back-references. */
function re2Compatible(pattern: string): boolean {
  return !/\(\?[=!<]|\\[1-9]|\\k</.test(pattern);
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (ref === '#') return root;
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  const defs = root.$defs as Record<string, JsonSchema> | undefined;
  return m && defs ? defs[decodeURIComponent(m[1]!)] : undefined;
}

/** Convert one schema; `root` resolves `$ref`s, `seen` stops recursive ones (kept as written). */
export function toStructural(schema: JsonSchema, root: JsonSchema = schema, seen: string[] = []): JsonSchema {
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    const target = resolveRef(ref, root);
    if (!target || seen.includes(ref)) return { ...PRESERVE };
    return toStructural({ ...target, ...withoutKey(schema, '$ref') }, root, [...seen, ref]);
  }
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return fromUnion(union, withoutKey(withoutKey(schema, 'anyOf'), 'oneOf'), root, seen);
  if (Array.isArray(schema.allOf)) {
    const parts = (schema.allOf as JsonSchema[]).map((s) => toStructural(s, root, seen));
    return mergeObjects([toStructural(withoutKey(schema, 'allOf'), root, seen), ...parts]);
  }

  const out: JsonSchema = {};
  if (typeof schema.description === 'string') out.description = schema.description;
  let type = schema.type as string | string[] | undefined;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length < type.length) out.nullable = true;
    type = nonNull.length === 1 ? nonNull[0] : undefined;
    if (nonNull.length > 1) return intOrString(nonNull) ?? { ...out, ...PRESERVE };
  }
  if (type === undefined && schema.const !== undefined) type = jsonType(schema.const);
  if (type === undefined && Array.isArray(schema.enum)) {
    const types = [...new Set((schema.enum as unknown[]).map(jsonType))];
    type = types.length === 1 ? types[0] : undefined;
  }
  if (type === undefined) return { ...out, ...PRESERVE };
  out.type = type;

  if (schema.const !== undefined) out.enum = [schema.const];
  else if (Array.isArray(schema.enum)) out.enum = schema.enum;
  if (typeof schema.format === 'string' && KEPT_FORMATS.has(schema.format)) out.format = schema.format;
  if (typeof schema.pattern === 'string' && type === 'string' && re2Compatible(schema.pattern))
    out.pattern = schema.pattern;
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'multipleOf', 'maxProperties']) {
    if (schema[k] !== undefined) out[k] = schema[k];
  }
  if (type === 'integer' || type === 'number') numericBounds(schema, out);

  if (type === 'array') {
    const items = schema.items as JsonSchema | undefined;
    out.items = items && typeof items === 'object' ? toStructural(items, root, seen) : { ...PRESERVE };
  }
  if (type === 'object') {
    const props = schema.properties as Record<string, JsonSchema> | undefined;
    const extra = schema.additionalProperties;
    if (props && Object.keys(props).length > 0) {
      out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, toStructural(v, root, seen)]));
      const required = (schema.required as string[] | undefined)?.filter((r) => r in props);
      if (required && required.length > 0) out.required = required;
      // a loose object (extra fields allowed) keeps them; a strict one lets the API server prune them
      if (extra !== false) Object.assign(out, PRESERVE);
    } else if (extra && typeof extra === 'object' && Object.keys(extra).length > 0) {
      out.additionalProperties = toStructural(extra as JsonSchema, root, seen);
    } else if (extra !== false) {
      Object.assign(out, PRESERVE);
    }
  }
  return out;
}

function numericBounds(schema: JsonSchema, out: JsonSchema): void {
  const SAFE = Number.MAX_SAFE_INTEGER;
  const min = schema.minimum as number | undefined;
  const max = schema.maximum as number | undefined;
  if (min !== undefined && min > -SAFE) out.minimum = min;
  if (max !== undefined && max < SAFE) out.maximum = max;
  if (typeof schema.exclusiveMinimum === 'number') {
    out.minimum = schema.exclusiveMinimum;
    out.exclusiveMinimum = true;
  }
  if (typeof schema.exclusiveMaximum === 'number') {
    out.maximum = schema.exclusiveMaximum;
    out.exclusiveMaximum = true;
  }
}

function fromUnion(members: JsonSchema[], rest: JsonSchema, root: JsonSchema, seen: string[]): JsonSchema {
  const isNull = (m: JsonSchema) => m.type === 'null';
  const nullable = members.some(isNull);
  const converted = members.filter((m) => !isNull(m)).map((m) => toStructural({ ...rest, ...m }, root, seen));
  const withNull = (s: JsonSchema): JsonSchema => (nullable ? { ...s, nullable: true } : s);
  if (converted.length === 0) return { ...PRESERVE };
  if (converted.length === 1) return withNull(converted[0]!);
  const types = [...new Set(converted.map((c) => c.type as string | undefined))];
  const description = typeof rest.description === 'string' ? { description: rest.description } : {};
  if (types.length === 1 && types[0] === 'object') return withNull({ ...description, ...mergeObjects(converted) });
  if (types.length === 1 && types[0] !== undefined) {
    // same type, different constraints (enums, patterns): the type alone, enums joined when all have one
    const enums = converted.every((c) => Array.isArray(c.enum))
      ? { enum: [...new Set(converted.flatMap((c) => c.enum as unknown[]))] }
      : {};
    const items = types[0] === 'array' ? { items: mergeAll(converted.map((c) => c.items as JsonSchema)) } : {};
    return withNull({ ...description, type: types[0], ...enums, ...items });
  }
  return withNull({ ...description, ...(intOrString(types) ?? PRESERVE) });
}

function intOrString(types: (string | undefined)[]): JsonSchema | undefined {
  const set = new Set(types);
  if (set.size === 2 && set.has('string') && (set.has('integer') || set.has('number')))
    return { 'x-kubernetes-int-or-string': true };
  return undefined;
}

function mergeAll(schemas: JsonSchema[]): JsonSchema {
  const types = new Set(schemas.map((s) => s.type));
  if (types.size === 1 && types.has('object')) return mergeObjects(schemas);
  if (types.size === 1 && !types.has(undefined)) return { type: schemas[0]!.type };
  return { ...PRESERVE };
}

/** Objects of a union: their properties together (a property in two members: merged again), none required. */
function mergeObjects(schemas: JsonSchema[]): JsonSchema {
  const props = new Map<string, JsonSchema[]>();
  let preserve = false;
  const maps: JsonSchema[] = [];
  for (const s of schemas) {
    if (s['x-kubernetes-preserve-unknown-fields']) preserve = true;
    if (s.additionalProperties) maps.push(s.additionalProperties as JsonSchema);
    for (const [k, v] of Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {})) {
      props.set(k, [...(props.get(k) ?? []), v]);
    }
  }
  const out: JsonSchema = { type: 'object' };
  if (props.size > 0) {
    out.properties = Object.fromEntries([...props].map(([k, vs]) => [k, vs.length === 1 ? vs[0]! : mergeAll(vs)]));
    if (preserve || maps.length > 0) Object.assign(out, PRESERVE);
  } else if (maps.length > 0 && !preserve) {
    out.additionalProperties = mergeAll(maps);
  } else {
    Object.assign(out, PRESERVE);
  }
  return out;
}

function jsonType(v: unknown): string | undefined {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return undefined;
}

function withoutKey(s: JsonSchema, key: string): JsonSchema {
  const { [key]: _omit, ...rest } = s;
  return rest;
}
