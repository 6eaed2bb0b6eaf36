import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { describeValue, type KubeObject } from './meta.js';
import { closedGroups, pluralOf, splitApiVersion } from './generic.js';
import { interpretedKinds, kinds, registerGenericKind, type KindInfo } from './registry.js';

/** Where a document came from: `file[doc]`, doc counted from 1. */
export interface Origin {
  file?: string;
  doc?: number;
}

export interface ResourceError extends Origin {
  /** dotted field path inside the document, e.g. `spec.analysis.stepWeight`; '' for the whole document */
  path: string;
  message: string;
}

/**
 * `warnings` are formatted like errors (`canary.yaml[1] spec.provider: ...`): a valid document that asks
 * for something Weir accepts but does not act on.
 */
export type DecodeResult =
  { ok: true; object: KubeObject; warnings: string[] } | { ok: false; errors: ResourceError[]; warnings: string[] };

export function formatOrigin(o: Origin): string {
  if (o.file === undefined) return o.doc === undefined ? '' : `[${o.doc}]`;
  return o.doc === undefined ? o.file : `${o.file}[${o.doc}]`;
}

/** `canary.yaml[1] spec.analysis.stepWeight: expected a number, got "ten"` */
export function formatResourceError(e: ResourceError): string {
  const where = formatOrigin(e);
  const head = [where, e.path].filter((s) => s !== '').join(' ');
  return head === '' ? e.message : `${head}: ${e.message}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

const typeNames: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'a map',
  map: 'a map',
  int: 'a whole number',
  bigint: 'a whole number',
  null: 'null',
};

type Issue = z.core.$ZodIssue;
interface FieldIssue {
  path: PropertyKey[];
  message: string;
}

const plural = (n: number | bigint, word: string) => `${String(n)} ${word}${Number(n) === 1 ? '' : 's'}`;
const quoteAll = (values: readonly unknown[]) =>
  values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');

/** What a root-level type/value issue wanted, for combining union branches. */
function wanted(issue: Issue): string[] | undefined {
  if (issue.path.length !== 0) return undefined;
  if (issue.code === 'invalid_type') return [typeNames[issue.expected] ?? issue.expected];
  if (issue.code === 'invalid_value')
    return issue.values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
  return undefined;
}

function required(input: unknown, message: string): string {
  return input === undefined ? `required: ${message}` : `${message}, got ${describeValue(input)}`;
}

/** One zod issue as field-level messages; unions and record keys are unfolded to the failing field. */
function flatten(issue: Issue, base: PropertyKey[]): FieldIssue[] {
  const path = [...base, ...issue.path];
  const one = (message: string): FieldIssue[] => [{ path, message }];
  switch (issue.code) {
    case 'invalid_type':
      return one(required(issue.input, `expected ${typeNames[issue.expected] ?? issue.expected}`));
    case 'invalid_value':
      return one(
        required(
          issue.input,
          issue.values.length === 1
            ? `expected ${quoteAll(issue.values)}`
            : `expected one of ${quoteAll(issue.values)}`,
        ),
      );
    case 'too_small': {
      const n = issue.minimum;
      if (issue.origin === 'array' || issue.origin === 'set') return one(`expected at least ${plural(n, 'item')}`);
      if (issue.origin === 'string')
        return one(Number(n) === 1 ? 'must not be empty' : `expected at least ${plural(n, 'character')}`);
      return one(
        `expected a value ${issue.inclusive === false ? '>' : '>='} ${String(n)}, got ${describeValue(issue.input)}`,
      );
    }
    case 'too_big': {
      const n = issue.maximum;
      if (issue.origin === 'array' || issue.origin === 'set') return one(`expected at most ${plural(n, 'item')}`);
      if (issue.origin === 'string') return one(`expected at most ${plural(n, 'character')}`);
      return one(
        `expected a value ${issue.inclusive === false ? '<' : '<='} ${String(n)}, got ${describeValue(issue.input)}`,
      );
    }
    case 'invalid_format': {
      const custom = !issue.message.startsWith('Invalid');
      const what = custom
        ? issue.message
        : issue.format === 'url'
          ? 'a URL'
          : issue.format === 'regex' && issue.pattern !== undefined
            ? `a value matching ${issue.pattern}`
            : `a valid ${issue.format}`;
      return one(`expected ${what}, got ${describeValue(issue.input)}`);
    }
    case 'not_multiple_of':
      return one(`expected a multiple of ${String(issue.divisor)}, got ${describeValue(issue.input)}`);
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: [...path, k], message: 'unknown field' }));
    case 'invalid_key':
      return issue.issues.flatMap((i) => flatten(i, path)).map((f) => ({ ...f, message: `invalid key: ${f.message}` }));
    case 'invalid_element':
      return issue.issues.flatMap((i) => flatten(i, path));
    case 'invalid_union': {
      const branches = issue.errors;
      if (branches.length === 0) return one(issue.message);
      const roots = branches.map((b) => (b.length === 1 && b[0] ? wanted(b[0]) : undefined));
      if (roots.every((r) => r !== undefined)) {
        const all = [...new Set(roots.flat())];
        const values = branches.every((b) => b[0]?.code === 'invalid_value');
        return one(
          required(
            issue.input,
            values && all.length > 1 ? `expected one of ${all.join(', ')}` : `expected ${all.join(' or ')}`,
          ),
        );
      }
      // The branch that got furthest: not rejected for its type at the root, and with the fewest issues.
      const typed = branches.filter((b) => !(b.length === 1 && b[0] !== undefined && wanted(b[0]) !== undefined));
      const pool = typed.length > 0 ? typed : branches;
      const best = pool.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => flatten(i, path));
    }
    default:
      return one(issue.message);
  }
}

/** The zod issues of a failed parse as `ResourceError`s carrying `origin`. */
export function toResourceErrors(issues: readonly Issue[], origin: Origin = {}): ResourceError[] {
  return issues
    .flatMap((i) => flatten(i, []))
    .map((f) => ({ ...origin, path: formatPath(f.path), message: f.message }));
}

/** Validate one parsed document: kind lookup, then its schema. Defaults are applied. */
export function decodeResource(raw: unknown, origin: Origin = {}): DecodeResult {
  const warnings: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      warnings,
      errors: [{ ...origin, path: '', message: `expected a Kubernetes object, got ${describeValue(raw)}` }],
    };
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string') {
    return {
      ok: false,
      warnings,
      errors: [{ ...origin, path: 'kind', message: required(kind, 'expected a string') }],
    };
  }
  const info = Object.hasOwn(kinds, kind) ? kinds[kind] : genericKindOf(raw as { apiVersion?: unknown }, kind);
  if (!info) {
    const known = interpretedKinds().join(', ');
    return {
      ok: false,
      warnings,
      errors: [
        {
          ...origin,
          path: 'kind',
          message:
            `unknown kind ${describeValue(kind)}: Weir reads ${known}, and stores other kinds ` +
            'when their apiVersion names a group of their own (example.com/v1)',
        },
      ],
    };
  }
  const result = info.schema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    return { ok: false, warnings, errors: toResourceErrors(result.error.issues, origin) };
  }
  for (const w of info.warnings?.(result.data) ?? []) warnings.push(formatResourceError({ ...origin, ...w }));
  if (!info.interpreted)
    warnings.push(
      formatResourceError({ ...origin, path: '', message: `${kind} is stored and served; Weir does not act on it` }),
    );
  return { ok: true, object: result.data as KubeObject, warnings };
}

/**
 * A kind of another project's group (a CRD Weir does not know): registered as a generic namespaced kind.
 * Unknown kinds of the groups Weir knows whole (core, apps, flagger.app...) are typos and undefined here.
 */
function genericKindOf(raw: { apiVersion?: unknown }, kind: string): KindInfo | undefined {
  if (typeof raw.apiVersion !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const { group, version } = splitApiVersion(raw.apiVersion);
  if (closedGroups.has(group) || !group.includes('.') || version === '') return undefined;
  return registerGenericKind({ kind, group, version, plural: pluralOf(kind), namespaced: true });
}

export interface ManifestResult {
  objects: KubeObject[];
  errors: ResourceError[];
  warnings: string[];
}

/**
 * Read every document of a (multi-document) YAML or JSON text. Empty documents are skipped but still
 * counted, so `[n]` is the n-th document of the file. A `kind: List` document (what `kubectl get -o json`
 * prints) is read item by item, its errors named `items[i].path`. Good documents are returned even when
 * others fail.
 */
export function parseManifests(text: string, file?: string): ManifestResult {
  const out: ManifestResult = { objects: [], errors: [], warnings: [] };
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const origin: Origin = file === undefined ? { doc: i + 1 } : { file, doc: i + 1 };
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        out.errors.push({ ...origin, path: '', message: `YAML: ${e.message.split('\n')[0] ?? ''}` });
      return;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) return;
    const items = isList(raw) ? raw.items : undefined;
    (items ?? [raw]).forEach((item, j) => {
      const r = decodeResource(item, origin);
      out.warnings.push(...r.warnings);
      if (r.ok) out.objects.push(r.object);
      else if (items === undefined) out.errors.push(...r.errors);
      else
        for (const e of r.errors)
          out.errors.push({ ...e, path: e.path === '' ? `items[${j}]` : `items[${j}].${e.path}` });
    });
  });
  return out;
}

function isList(raw: unknown): raw is { items: unknown[] } {
  const o = raw as { kind?: unknown; items?: unknown };
  return typeof o === 'object' && o.kind === 'List' && Array.isArray(o.items);
}
