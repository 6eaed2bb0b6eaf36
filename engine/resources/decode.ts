import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import type { KubeObject } from './meta.js';
import { kinds } from './registry.js';

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

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const typeNames: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  int: 'a whole number',
};

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const wanted = typeNames[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `required: expected ${wanted}`;
      return `expected ${wanted}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? `expected at least ${String(issue.minimum)} character(s)`
          : `expected a value >= ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${String(issue.maximum)} item(s)`
        : issue.origin === 'string'
          ? `expected at most ${String(issue.maximum)} character(s)`
          : `expected a value <= ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? 'a value matching ' + String(issue.pattern) : issue.format}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

/** Validate one parsed document: kind lookup, then its schema. Defaults are applied. */
export function decodeResource(raw: unknown, origin: Origin = {}): DecodeResult {
  const warnings: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, warnings, errors: [{ ...origin, path: '', message: 'expected a Kubernetes object' }] };
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string') {
    return { ok: false, warnings, errors: [{ ...origin, path: 'kind', message: 'required: expected a string' }] };
  }
  const info = kinds[kind];
  if (!info) {
    return {
      ok: false,
      warnings,
      errors: [{ ...origin, path: 'kind', message: `unknown kind ${JSON.stringify(kind)}` }],
    };
  }
  const result = info.schema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    return {
      ok: false,
      warnings,
      errors: result.error.issues.map((i) => ({ ...origin, path: formatPath(i.path), message: issueMessage(i) })),
    };
  }
  return { ok: true, object: result.data as KubeObject, warnings };
}

export interface ManifestResult {
  objects: KubeObject[];
  errors: ResourceError[];
  warnings: string[];
}

/** Read every document of a (multi-document) YAML or JSON text. Empty documents are skipped. */
export function parseManifests(text: string, file?: string): ManifestResult {
  const out: ManifestResult = { objects: [], errors: [], warnings: [] };
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const origin: Origin = { file, doc: i + 1 };
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        out.errors.push({ ...origin, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) return;
    const r = decodeResource(raw, origin);
    out.warnings.push(...r.warnings);
    if (r.ok) out.objects.push(r.object);
    else out.errors.push(...r.errors);
  });
  return out;
}
