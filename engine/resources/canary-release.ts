import type { z } from 'zod';

/** Coordinated canaries (engine/canary/release.ts): the label, or annotation, naming a Canary's release. */
const RELEASE_KEY = 'weir.io/release';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A Canary's `weir.io/release` label or annotation, checked at the edge: a DNS label (it is part of the
 * `weir-lane` header value `<namespace>/<release>`), and the same in both places when both are set.
 */
export function checkReleaseMetadata(
  m: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined },
  ctx: z.RefinementCtx,
): void {
  const label = m.labels?.[RELEASE_KEY];
  const annotation = m.annotations?.[RELEASE_KEY];
  for (const [where, v] of [
    ['labels', label],
    ['annotations', annotation],
  ] as const) {
    if (v !== undefined && !DNS_LABEL.test(v))
      ctx.addIssue({
        code: 'custom',
        path: [where, RELEASE_KEY],
        message: `expected a release name: a DNS label (lower case letters, digits and -, at most 63), got ${JSON.stringify(v)}`,
      });
  }
  if (label !== undefined && annotation !== undefined && label !== annotation)
    ctx.addIssue({
      code: 'custom',
      path: ['annotations', RELEASE_KEY],
      message: `names release ${JSON.stringify(annotation)} but the label names ${JSON.stringify(label)}: set one, or both the same`,
    });
}
