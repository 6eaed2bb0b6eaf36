import { describe, expect, it } from 'vitest';
import type { Canary } from '../../engine/resources/index.js';
import { parseWaitFor, waitVerdict } from '../../cli/wait-condition.js';

const canary = (status: Record<string, unknown>): Canary =>
  ({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { name: 'podinfo' }, analysis: { interval: '1s', threshold: 3, stepWeight: 10 } },
    status,
  }) as unknown as Canary;

describe('weir wait conditions', () => {
  const promoted = parseWaitFor('promoted') as Exclude<ReturnType<typeof parseWaitFor>, string>;
  const failed = parseWaitFor('failed') as Exclude<ReturnType<typeof parseWaitFor>, string>;

  it('count a status only once the controller has seen the current template', () => {
    const done = canary({ phase: 'Succeeded', lastAppliedSpec: 'old' });
    expect(waitVerdict(done, 'new', promoted)).toBe('pending');
    expect(waitVerdict(done, 'old', promoted)).toBe('met');
    expect(waitVerdict(done, 'old', failed)).toBe('opposite');
    expect(waitVerdict(done, undefined, promoted)).toBe('pending');
  });

  it('promoted: Failed is the opposite; failed: Failed is met', () => {
    const rolledBack = canary({ phase: 'Failed', lastAppliedSpec: 'h' });
    expect(waitVerdict(rolledBack, 'h', promoted)).toBe('opposite');
    expect(waitVerdict(rolledBack, 'h', failed)).toBe('met');
    const running = canary({ phase: 'Progressing', lastAppliedSpec: 'h' });
    expect(waitVerdict(running, 'h', promoted)).toBe('pending');
    expect(waitVerdict(running, 'h', parseWaitFor('phase=progressing') as typeof promoted)).toBe('met');
  });

  it('refuse what they do not know', () => {
    expect(typeof parseWaitFor('done')).toBe('string');
    expect(typeof parseWaitFor('phase=Sleeping')).toBe('string');
    expect(typeof parseWaitFor(undefined)).toBe('string');
  });
});
