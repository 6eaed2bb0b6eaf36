import { parseJsonPath, type PathSegment } from './json-path.js';

/**
 * Mirror diffing, configured on a Canary by annotations (Flagger's schema stays valid) and carried to the
 * proxies on the HTTPRoute the controller writes (`ROUTE_ANNOTATION`, JSON of `MirrorDiffConfig`).
 */
export const ANNOTATION_ENABLED = 'weir.io/mirror-diff';
export const ANNOTATION_IGNORE = 'weir.io/mirror-diff-ignore';
export const ANNOTATION_HEADERS = 'weir.io/mirror-diff-headers';
export const ANNOTATION_MAX_BODY = 'weir.io/mirror-diff-max-body-bytes';
export const ANNOTATION_NOISE_SAMPLE = 'weir.io/mirror-diff-noise-sample';
/** on the HTTPRoute: the config of the route's RequestMirror filters, as JSON */
export const ROUTE_ANNOTATION = 'weir.io/mirror-diff-config';

/** bodies are compared on their first 64 KiB by default */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** at most 1 MiB of each body is kept for a comparison */
export const MAX_MAX_BODY_BYTES = 1024 * 1024;
/** 20% of mirrored idempotent requests are sent to the primary a second time, for noise */
export const DEFAULT_NOISE_SAMPLE = 0.2;
export const DEFAULT_HEADERS: readonly string[] = ['content-type'];

export interface MirrorDiffConfig {
  /** JSON paths (as written) whose values are never compared */
  ignore: string[];
  /** response header names compared (lower case) */
  headers: string[];
  /** bytes of each body kept and compared */
  maxBodyBytes: number;
  /** fraction (0..1) of mirrored GET/HEAD requests also sent a second time to the primary */
  noiseSample: number;
}

/** the config with its paths parsed, as the comparison uses it */
export interface CompiledDiffConfig extends MirrorDiffConfig {
  readonly ignorePaths: readonly PathSegment[][];
}

/** an annotation that could not be used: names it */
export class MirrorDiffConfigError extends Error {
  constructor(
    readonly annotation: string,
    message: string,
  ) {
    super(`annotation ${annotation}: ${message}`);
    this.name = 'MirrorDiffConfigError';
  }
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * The mirror-diff config a Canary's annotations ask for, undefined when `weir.io/mirror-diff` is absent or
 * "false". Throws a `MirrorDiffConfigError` naming the annotation for a bad value.
 */
export function mirrorDiffFromAnnotations(
  a: Readonly<Record<string, string>> | undefined,
): MirrorDiffConfig | undefined {
  const on = a?.[ANNOTATION_ENABLED];
  if (on === undefined) return undefined;
  if (on !== 'true' && on !== 'false')
    throw new MirrorDiffConfigError(ANNOTATION_ENABLED, 'expected "true" or "false"');
  const ignore = list(a?.[ANNOTATION_IGNORE]);
  for (const p of ignore) {
    try {
      parseJsonPath(p);
    } catch (err) {
      throw new MirrorDiffConfigError(ANNOTATION_IGNORE, (err as Error).message);
    }
  }
  const headers = a?.[ANNOTATION_HEADERS] === undefined ? [...DEFAULT_HEADERS] : list(a[ANNOTATION_HEADERS]);
  for (const h of headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h))
      throw new MirrorDiffConfigError(ANNOTATION_HEADERS, `${JSON.stringify(h)} is not a header name`);
  }
  const maxBodyBytes = numberAnnotation(a, ANNOTATION_MAX_BODY, DEFAULT_MAX_BODY_BYTES);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_MAX_BODY_BYTES)
    throw new MirrorDiffConfigError(ANNOTATION_MAX_BODY, `expected an integer from 0 to ${MAX_MAX_BODY_BYTES}`);
  const noiseSample = numberAnnotation(a, ANNOTATION_NOISE_SAMPLE, DEFAULT_NOISE_SAMPLE);
  if (!(noiseSample >= 0 && noiseSample <= 1))
    throw new MirrorDiffConfigError(ANNOTATION_NOISE_SAMPLE, 'expected a fraction from 0 to 1');
  if (on === 'false') return undefined;
  return { ignore, headers: headers.map((h) => h.toLowerCase()), maxBodyBytes, noiseSample };
}

function numberAnnotation(a: Readonly<Record<string, string>> | undefined, name: string, def: number): number {
  const v = a?.[name];
  if (v === undefined) return def;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new MirrorDiffConfigError(name, `${JSON.stringify(v)} is not a number`);
  return n;
}

/** the problem with a Canary's mirror-diff annotations, or undefined (for the schema's check) */
export function mirrorDiffAnnotationProblem(
  a: Readonly<Record<string, string>> | undefined,
): { annotation: string; message: string } | undefined {
  try {
    mirrorDiffFromAnnotations(a);
    return undefined;
  } catch (err) {
    if (err instanceof MirrorDiffConfigError) return { annotation: err.annotation, message: err.message };
    throw err;
  }
}

export function compileDiffConfig(c: MirrorDiffConfig): CompiledDiffConfig {
  return { ...c, ignorePaths: c.ignore.map((p) => parseJsonPath(p)) };
}

/** the route annotation's config; throws with what is wrong (the route compiler reports it as a warning) */
export function mirrorDiffFromRouteAnnotation(raw: string): CompiledDiffConfig {
  const v = JSON.parse(raw) as Partial<MirrorDiffConfig> | null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
  const strings = (x: unknown, what: string): string[] => {
    if (x === undefined) return [];
    if (!Array.isArray(x) || x.some((s) => typeof s !== 'string'))
      throw new Error(`${what}: expected a list of strings`);
    return x as string[];
  };
  const annotations: Record<string, string> = {
    [ANNOTATION_ENABLED]: 'true',
    [ANNOTATION_IGNORE]: strings(v.ignore, 'ignore').join(','),
    [ANNOTATION_HEADERS]: strings(v.headers ?? DEFAULT_HEADERS, 'headers').join(','),
  };
  if (v.maxBodyBytes !== undefined) annotations[ANNOTATION_MAX_BODY] = String(v.maxBodyBytes);
  if (v.noiseSample !== undefined) annotations[ANNOTATION_NOISE_SAMPLE] = String(v.noiseSample);
  return compileDiffConfig(mirrorDiffFromAnnotations(annotations) as MirrorDiffConfig);
}
