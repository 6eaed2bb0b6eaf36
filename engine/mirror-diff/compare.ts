import type { CompiledDiffConfig } from './config.js';
import { formatLocation, pathCovers, type Location } from './json-path.js';

/** One answer as the proxy kept it: status, the chosen headers, and the first bytes of the body. */
export interface CapturedAnswer {
  status: number;
  /** lower-case name -> value (several values joined by ", ") */
  headers: Readonly<Record<string, string>>;
  /** at most `maxBodyBytes` of the body */
  body: Uint8Array;
  /** the body was longer than what was kept */
  truncated: boolean;
}

/** what kind of difference (the metric's `reason` label) */
export type DiffReason = 'status' | 'header' | 'field-value' | 'field-type' | 'field-missing' | 'field-added' | 'body';

export interface Difference {
  reason: DiffReason;
  /** where: `status`, `header x-version`, `$.meta.id`, `body` */
  field: string;
  /** the primary's and the canary's values, as short texts (`<absent>` when there is none) */
  primary: string;
  canary: string;
}

export const ABSENT = '<absent>';
const VALUE_CHARS = 120;

/** a value as a short text for a difference: JSON, cut at 120 characters */
export function shortValue(v: unknown): string {
  if (v === undefined) return ABSENT;
  const t = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return t.length > VALUE_CHARS ? `${t.slice(0, VALUE_CHARS)}…` : t;
}

/** one line: `$.message: "hello" (primary) vs "bye" (canary)` */
export function describeDifference(d: Difference): string {
  return `${d.field}: ${d.primary} (primary) vs ${d.canary} (canary)`;
}

function isJsonType(ct: string | undefined): boolean {
  if (ct === undefined) return false;
  const t = ct.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/** the body as JSON when it says or looks so, whole (not truncated) and parsable; undefined otherwise */
function asJson(a: CapturedAnswer): { value: unknown } | undefined {
  if (a.truncated || a.body.length === 0) return undefined;
  const text = Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength).toString('utf8');
  const first = text.trimStart()[0];
  if (!isJsonType(a.headers['content-type']) && first !== '{' && first !== '[') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** structural differences of two JSON values, each with its concrete location */
function jsonDiff(a: unknown, b: unknown, loc: (string | number)[], out: Located[]): void {
  const ka = kind(a);
  const kb = kind(b);
  const push = (reason: DiffReason, p: unknown, c: unknown): void => {
    out.push({ reason, field: formatLocation(loc), primary: shortValue(p), canary: shortValue(c), loc: [...loc] });
  };
  if (ka !== kb) return push('field-type', a, b);
  if (ka === 'object') {
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    for (const k of Object.keys(oa)) {
      loc.push(k);
      if (!Object.prototype.hasOwnProperty.call(ob, k)) push('field-missing', oa[k], undefined);
      else jsonDiff(oa[k], ob[k], loc, out);
      loc.pop();
    }
    for (const k of Object.keys(ob)) {
      if (Object.prototype.hasOwnProperty.call(oa, k)) continue;
      loc.push(k);
      push('field-added', undefined, ob[k]);
      loc.pop();
    }
    return;
  }
  if (ka === 'array') {
    const xa = a as unknown[];
    const xb = b as unknown[];
    const n = Math.max(xa.length, xb.length);
    for (let i = 0; i < n; i++) {
      loc.push(i);
      if (i >= xb.length) push('field-missing', xa[i], undefined);
      else if (i >= xa.length) push('field-added', undefined, xb[i]);
      else jsonDiff(xa[i], xb[i], loc, out);
      loc.pop();
    }
    return;
  }
  if (a !== b) push('field-value', a, b);
}

/** a JSON difference with its location (for the ignore list) */
interface Located extends Difference {
  loc: Location;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

function bodySummary(a: CapturedAnswer): string {
  const text = Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength).toString('utf8');
  return shortValue(text) + (a.truncated ? ` (first ${a.body.length} bytes)` : ` (${a.body.length} bytes)`);
}

/**
 * Every difference between two answers to the same request: the status, each chosen header, and the body
 * (JSON compared field by field with the ignored paths left out; any other body, or one cut at the size
 * bound, compared byte for byte on what was kept).
 */
export function compareAnswers(
  primary: CapturedAnswer,
  canary: CapturedAnswer,
  config: CompiledDiffConfig,
): Difference[] {
  const out: Difference[] = [];
  if (primary.status !== canary.status)
    out.push({ reason: 'status', field: 'status', primary: String(primary.status), canary: String(canary.status) });
  for (const h of config.headers) {
    const a = primary.headers[h];
    const b = canary.headers[h];
    if (a !== b) out.push({ reason: 'header', field: `header ${h}`, primary: shortValue(a), canary: shortValue(b) });
  }
  const ja = asJson(primary);
  const jb = asJson(canary);
  if (ja !== undefined && jb !== undefined) {
    const found: Difference[] = [];
    collect(ja.value, jb.value, found, config);
    out.push(...found);
  } else if (!bytesEqual(primary.body, canary.body) || primary.truncated !== canary.truncated) {
    out.push({ reason: 'body', field: 'body', primary: bodySummary(primary), canary: bodySummary(canary) });
  }
  return out;
}

/** JSON differences outside the ignored paths */
function collect(a: unknown, b: unknown, out: Difference[], config: CompiledDiffConfig): void {
  const all: Located[] = [];
  jsonDiff(a, b, [], all);
  for (const { loc, ...d } of all) {
    if (config.ignorePaths.some((p) => pathCovers(p, loc))) continue;
    out.push(d);
  }
}
