import { describe, expect, it } from 'vitest';
import { docSteps } from './doc-commands.js';

const doc = [
  '# A tutorial',
  '',
  '<!-- doc-test: skip -->',
  '```sh',
  'npm ci',
  '```',
  '',
  '<!-- doc-test: background until="control plane:" -->',
  '```sh',
  'weir up samples/canary',
  '```',
  '',
  'Some text.',
  '',
  '<!-- doc-test: exit=1 expect="podinfo.test Failed" expect="say \\"hi\\"" -->',
  '```sh',
  'weir wait canary podinfo -n test --for=promoted',
  'echo done',
  '```',
  '',
  '```text',
  'output, not a step',
  '```',
  '',
  '<!-- doc-test: stop -->',
  '',
  '```sh',
  'rm -rf samples/canary/.weir',
  '```',
].join('\n');

describe('the shell steps of a Markdown tutorial', () => {
  it('are its sh blocks in order, with the directives of the comment right before each', () => {
    const steps = docSteps(doc);
    expect(steps.map((s) => [s.line, s.skip, s.background?.until, s.stop, s.exit])).toEqual([
      [4, true, undefined, false, 0],
      [9, false, 'control plane:', false, 0],
      [16, false, undefined, false, 1],
      [25, false, undefined, true, 0],
      [27, false, undefined, false, 0],
    ]);
    expect(steps[2]!.script).toBe('weir wait canary podinfo -n test --for=promoted\necho done');
    expect(steps[2]!.expect).toEqual(['podinfo.test Failed', 'say "hi"']);
  });

  it('a directive applies only to the block right after it (text in between cancels it)', () => {
    const steps = docSteps('<!-- doc-test: exit=3 -->\n\nA sentence.\n\n```sh\ntrue\n```\n');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.exit).toBe(0);
  });

  it('refuses unknown directives and a background without its ready text, naming the line', () => {
    expect(() => docSteps('<!-- doc-test: sleep=5 -->\n```sh\ntrue\n```')).toThrow(
      /line 1: unknown doc-test directive/,
    );
    expect(() => docSteps('\n<!-- doc-test: background -->\n```sh\nweir up x\n```')).toThrow(
      /line 2: background needs until/,
    );
    expect(() => docSteps('```sh\nnever closed\n')).toThrow(/line 1: fenced block never closed/);
  });
});
