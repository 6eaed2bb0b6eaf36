import { describe, expect, it } from 'vitest';
import { parsePodLabels, podLabelsFlag } from '../../../cli/proxy/pod-labels.js';

describe('weir proxy --pod-labels', () => {
  it('reads key=value pairs, prefixed keys and empty values included', () => {
    expect(parsePodLabels('app=front,example.com/tier=web,empty=')).toEqual({
      app: 'front',
      'example.com/tier': 'web',
      empty: '',
    });
    expect(parsePodLabels('')).toEqual({});
    expect(parsePodLabels(undefined)).toBeUndefined();
  });

  it('names the flag and the pair that is not a label', () => {
    expect(parsePodLabels('app=front,tier')).toBe(
      '--pod-labels must be key=value pairs separated by commas (Kubernetes label syntax), got "tier"',
    );
    expect(parsePodLabels('app=has space')).toMatch(/got "app=has space"$/);
  });

  it("is what the runtime passes for a pod's labels, and reads back the same", () => {
    const labels = { tier: 'web', app: 'front' };
    expect(podLabelsFlag(labels)).toBe('app=front,tier=web');
    expect(parsePodLabels(podLabelsFlag(labels))).toEqual(labels);
  });
});
