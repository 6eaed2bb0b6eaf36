import { describe, expect, it } from 'vitest';
import { compileRoutingTable, SmoothWeighted } from '../../../engine/routing/index.js';
import { request, route, service, to, type BackendRefInput } from './fixtures.js';

const services = [service('echo'), service('echo-v1'), service('echo-v2'), service('multi', [80, 81])];
const parent = { namespace: 'default', service: 'echo', port: 80, portName: 'http' };

/** how many of `n` requests each outcome got: a Service name, or the status the proxy answers */
function split(backendRefs: BackendRefInput[], n: number): Record<string, number> {
  const t = compileRoutingTable(parent, { services, httpRoutes: [route('split', [{ backendRefs }])] });
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const b = t.route(request({ url: '/' }))!.pick();
    const k = b.failStatus !== 0 ? String(b.failStatus) : `${b.target!.service}:${b.target!.port}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

describe('weighted backends (smooth weighted round robin: exact over every cycle)', () => {
  it.each<[string, BackendRefInput[], number, Record<string, number>]>([
    ['90/10 over 1000', [to('echo-v1', 90), to('echo-v2', 10)], 1000, { 'echo-v1:80': 900, 'echo-v2:80': 100 }],
    ['1/2 over 300', [to('echo-v1', 1), to('echo-v2', 2)], 300, { 'echo-v1:80': 100, 'echo-v2:80': 200 }],
    ['weight defaults to 1', [to('echo-v1'), to('echo-v2')], 10, { 'echo-v1:80': 5, 'echo-v2:80': 5 }],
    ['weight 0 gets nothing', [to('echo-v1', 100), to('echo-v2', 0)], 500, { 'echo-v1:80': 500 }],
    ['weight 0 on a missing Service is harmless', [to('echo-v1', 1), to('nope', 0)], 50, { 'echo-v1:80': 50 }],
    [
      'unknown Service: 500 for its share only',
      [to('echo-v1', 1), to('nope', 1)],
      100,
      { 'echo-v1:80': 50, '500': 50 },
    ],
    [
      'unknown port: 500 for its share only',
      [to('echo-v1', 3), to('echo-v2', 1, 81)],
      100,
      { 'echo-v1:80': 75, '500': 25 },
    ],
    [
      'unsupported kind: 500',
      [{ group: 'example.com', kind: 'Bucket', name: 'b', port: 80, weight: 1 }],
      4,
      { '500': 4 },
    ],
    ['all weights 0: 500', [to('echo-v1', 0), to('echo-v2', 0)], 10, { '500': 10 }],
  ])('%s', (_name, refs, n, expected) => {
    expect(split(refs, n)).toEqual(expected);
  });

  it('spreads the minority backend evenly (nginx smooth WRR)', () => {
    const w = new SmoothWeighted([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 1 },
      { item: 'c', weight: 1 },
    ]);
    expect(Array.from({ length: 7 }, () => w.pick()).join('')).toBe('aabacaa');
    const ninety = new SmoothWeighted([
      { item: 'a', weight: 90 },
      { item: 'b', weight: 10 },
    ]);
    const seq = Array.from({ length: 100 }, () => ninety.pick());
    // every window of 10 consecutive picks holds exactly one 'b'
    for (let i = 0; i + 10 <= seq.length; i += 10)
      expect(seq.slice(i, i + 10).filter((x) => x === 'b')).toHaveLength(1);
  });

  it('records the failure reason in the compiled table', () => {
    const t = compileRoutingTable(parent, {
      services,
      httpRoutes: [route('split', [{ backendRefs: [to('echo-v1', 1), to('ghost', 1)] }])],
    });
    const json = JSON.stringify(t.describe());
    expect(json).toContain('Service not found (BackendNotFound)');
    expect(t.targets.map((x) => x.key)).toEqual(['default/echo-v1:80']);
  });
});
