import { describe, expect, it } from 'vitest';
import {
  canarySchema,
  fastRollbackSettings,
  formatResourceError,
  parseManifests,
} from '../../../engine/resources/index.js';

function canaryYaml(
  annotations: Record<string, string>,
  metrics = '[{ name: request-success-rate, thresholdRange: { min: 99 }, interval: 1m }]',
): string {
  return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
  annotations: ${JSON.stringify(annotations)}
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898 }
  analysis: { interval: 30s, threshold: 5, stepWeight: 10, maxWeight: 50, metrics: ${metrics} }
`;
}

describe('the weir.io/fast-rollback annotations on a Canary', () => {
  it('opt in with defaults (20 requests, confidence 0.999), or with the values given', () => {
    const on = parseManifests(canaryYaml({ 'weir.io/fast-rollback': 'true' }), 'canary.yaml');
    expect(on.errors).toEqual([]);
    expect(on.warnings).toEqual([]);
    const c = canarySchema.parse(on.objects[0]);
    expect(fastRollbackSettings(c)).toEqual({ minRequests: 20, confidence: 0.999 });
    const tuned = canarySchema.parse(
      parseManifests(
        canaryYaml({
          'weir.io/fast-rollback': 'true',
          'weir.io/fast-rollback-min-requests': '50',
          'weir.io/fast-rollback-confidence': '0.9999',
        }),
      ).objects[0],
    );
    expect(fastRollbackSettings(tuned)).toEqual({ minRequests: 50, confidence: 0.9999 });
  });

  it('are off without the annotation or with "false"', () => {
    const off = canarySchema.parse(parseManifests(canaryYaml({ 'weir.io/fast-rollback': 'false' })).objects[0]);
    expect(fastRollbackSettings(off)).toBeUndefined();
    expect(fastRollbackSettings(canarySchema.parse(parseManifests(canaryYaml({})).objects[0]))).toBeUndefined();
  });

  it('refuse bad values, naming the file and the annotation', () => {
    const r = parseManifests(
      canaryYaml({
        'weir.io/fast-rollback': 'yes',
        'weir.io/fast-rollback-min-requests': '0',
        'weir.io/fast-rollback-confidence': '99.9',
      }),
      'canary.yaml',
    );
    expect(r.errors.map(formatResourceError)).toEqual([
      'canary.yaml[1] metadata.annotations.weir.io/fast-rollback: expected "true" or "false", got "yes"',
      'canary.yaml[1] metadata.annotations.weir.io/fast-rollback-min-requests: expected a whole number from 1 to 9999999, got "0"',
      'canary.yaml[1] metadata.annotations.weir.io/fast-rollback-confidence: expected a probability from 0.5 to below 1 (e.g. "0.999"), got "99.9"',
    ]);
  });

  it('warn when there is no success-rate minimum to compare with', () => {
    const r = parseManifests(canaryYaml({ 'weir.io/fast-rollback': 'true' }, '[]'), 'canary.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toContainEqual(
      'canary.yaml[1] metadata.annotations.weir.io/fast-rollback: is "true" but spec.analysis.metrics has no builtin request-success-rate metric with a minimum: fast rollback is off',
    );
  });
});
