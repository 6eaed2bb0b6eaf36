import type { z } from 'zod';
import { FAST_ROLLBACK_DEFAULTS, type FastRollbackSettings } from '../analysis/fast-rollback.js';
import type { Canary } from './canary.js';
import { fieldIssue } from './httproute.js';

/**
 * Weir's fast rollback, opted into per Canary with annotations (Flagger ignores them, so the Canary stays a
 * valid Flagger Canary): `weir.io/fast-rollback: "true"`, and optionally the smallest number of canary
 * responses before a decision and the run's confidence (docs/fast-rollback.md).
 */
export const FAST_ROLLBACK_ANNOTATION = 'weir.io/fast-rollback';
export const FAST_ROLLBACK_MIN_REQUESTS_ANNOTATION = 'weir.io/fast-rollback-min-requests';
export const FAST_ROLLBACK_CONFIDENCE_ANNOTATION = 'weir.io/fast-rollback-confidence';

type Annotations = Record<string, string> | undefined;

function minRequestsError(v: string): string | undefined {
  return /^[1-9][0-9]{0,6}$/.test(v.trim())
    ? undefined
    : `expected a whole number from 1 to 9999999, got ${JSON.stringify(v)}`;
}

function confidenceError(v: string): string | undefined {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) && n >= 0.5 && n < 1
    ? undefined
    : `expected a probability from 0.5 to below 1 (e.g. "0.999"), got ${JSON.stringify(v)}`;
}

/** Refuse a bad value with the annotation's path (`prefix` is where the annotations are). */
export function checkFastRollbackAnnotations(
  annotations: Annotations,
  ctx: z.RefinementCtx,
  prefix: Array<string | number>,
): void {
  const on = annotations?.[FAST_ROLLBACK_ANNOTATION];
  if (on !== undefined && on !== 'true' && on !== 'false')
    fieldIssue(ctx, [...prefix, FAST_ROLLBACK_ANNOTATION], `expected "true" or "false", got ${JSON.stringify(on)}`);
  const min = annotations?.[FAST_ROLLBACK_MIN_REQUESTS_ANNOTATION];
  const minErr = min === undefined ? undefined : minRequestsError(min);
  if (minErr) fieldIssue(ctx, [...prefix, FAST_ROLLBACK_MIN_REQUESTS_ANNOTATION], minErr);
  const conf = annotations?.[FAST_ROLLBACK_CONFIDENCE_ANNOTATION];
  const confErr = conf === undefined ? undefined : confidenceError(conf);
  if (confErr) fieldIssue(ctx, [...prefix, FAST_ROLLBACK_CONFIDENCE_ANNOTATION], confErr);
}

/** The Canary's fast-rollback settings, or undefined when it did not opt in (values validated at the edge). */
export function fastRollbackSettings(canary: Pick<Canary, 'metadata'>): FastRollbackSettings | undefined {
  const a = canary.metadata.annotations;
  if (a?.[FAST_ROLLBACK_ANNOTATION] !== 'true') return undefined;
  const min = a[FAST_ROLLBACK_MIN_REQUESTS_ANNOTATION];
  const conf = a[FAST_ROLLBACK_CONFIDENCE_ANNOTATION];
  return {
    minRequests: min !== undefined && !minRequestsError(min) ? Number(min) : FAST_ROLLBACK_DEFAULTS.minRequests,
    confidence: conf !== undefined && !confidenceError(conf) ? Number(conf) : FAST_ROLLBACK_DEFAULTS.confidence,
  };
}

/**
 * The success-rate minimum fast rollback compares with: the Canary's builtin `request-success-rate` metric's
 * `thresholdRange.min` (or its deprecated `threshold`), in percent. Undefined when the Canary has none.
 */
export function fastRollbackThreshold(canary: Pick<Canary, 'spec'>): number | undefined {
  const analysis = canary.spec.analysis;
  for (const m of analysis?.metrics ?? []) {
    if (m.name !== 'request-success-rate' || m.query !== undefined || m.templateRef !== undefined) continue;
    const min = m.thresholdRange ? m.thresholdRange.min : m.threshold;
    if (min !== undefined) return min;
  }
  return undefined;
}

/** A Canary that opted in but gives no success-rate minimum: fast rollback has nothing to compare with. */
export function fastRollbackWarnings(canary: Canary): Array<{ path: string; message: string }> {
  if (fastRollbackSettings(canary) === undefined || fastRollbackThreshold(canary) !== undefined) return [];
  return [
    {
      path: `metadata.annotations.${FAST_ROLLBACK_ANNOTATION}`,
      message:
        'is "true" but spec.analysis.metrics has no builtin request-success-rate metric with a minimum: fast rollback is off',
    },
  ];
}
