import { describe, expect, it } from 'vitest';
import {
  mirrorDiffAnnotationProblem,
  mirrorDiffFromAnnotations,
  mirrorDiffFromRouteAnnotation,
  parseJsonPath,
  ANY,
} from '../../../engine/mirror-diff/index.js';

describe('mirror-diff annotations', () => {
  it('are off without weir.io/mirror-diff or with "false"', () => {
    expect(mirrorDiffFromAnnotations(undefined)).toBeUndefined();
    expect(mirrorDiffFromAnnotations({ 'weir.io/mirror-diff': 'false' })).toBeUndefined();
  });

  it('read the ignored paths, the headers (lower case) and the bounds, with defaults', () => {
    expect(mirrorDiffFromAnnotations({ 'weir.io/mirror-diff': 'true' })).toEqual({
      ignore: [],
      headers: ['content-type'],
      maxBodyBytes: 65536,
      noiseSample: 0.2,
    });
    expect(
      mirrorDiffFromAnnotations({
        'weir.io/mirror-diff': 'true',
        'weir.io/mirror-diff-ignore': '$.timestamp, $.meta.requestId',
        'weir.io/mirror-diff-headers': 'Content-Type,x-version',
        'weir.io/mirror-diff-max-body-bytes': '1024',
        'weir.io/mirror-diff-noise-sample': '0.5',
      }),
    ).toEqual({
      ignore: ['$.timestamp', '$.meta.requestId'],
      headers: ['content-type', 'x-version'],
      maxBodyBytes: 1024,
      noiseSample: 0.5,
    });
  });

  it.each([
    [{ 'weir.io/mirror-diff': 'yes' }, 'weir.io/mirror-diff'],
    [{ 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-ignore': 'timestamp' }, 'weir.io/mirror-diff-ignore'],
    [{ 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-headers': 'a b' }, 'weir.io/mirror-diff-headers'],
    [
      { 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-max-body-bytes': '-1' },
      'weir.io/mirror-diff-max-body-bytes',
    ],
    [{ 'weir.io/mirror-diff': 'true', 'weir.io/mirror-diff-noise-sample': '2' }, 'weir.io/mirror-diff-noise-sample'],
  ])('reject %j naming the annotation', (a, name) => {
    expect(() => mirrorDiffFromAnnotations(a)).toThrow(`annotation ${name}:`);
    expect(mirrorDiffAnnotationProblem(a)?.annotation).toBe(name);
  });

  it('round-trip through the route annotation', () => {
    const c = mirrorDiffFromRouteAnnotation(
      JSON.stringify({ ignore: ['$.a[*].b'], headers: ['x-version'], maxBodyBytes: 10, noiseSample: 1 }),
    );
    expect(c.ignorePaths).toEqual([['a', ANY, 'b']]);
    expect(c.headers).toEqual(['x-version']);
    expect(() => mirrorDiffFromRouteAnnotation('[1]')).toThrow('not an object');
  });

  it('parse bracketed and quoted path segments', () => {
    expect(parseJsonPath("$['a b'][2].*")).toEqual(['a b', 2, ANY]);
    expect(() => parseJsonPath('$.a..b')).toThrow('expected a field name');
  });
});
