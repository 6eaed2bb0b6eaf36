import { describe, expect, it } from 'vitest';
import {
  compareAnswers,
  compileDiffConfig,
  describeDifference,
  NoiseModel,
  type CapturedAnswer,
} from '../../../engine/mirror-diff/index.js';

const config = (ignore: string[] = [], headers = ['content-type']) =>
  compileDiffConfig({ ignore, headers, maxBodyBytes: 1024, noiseSample: 0.2 });

function json(body: unknown, status = 200, headers: Record<string, string> = {}): CapturedAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(body)),
    truncated: false,
  };
}

describe('compareAnswers', () => {
  it('finds nothing between equal JSON answers whatever the key order', () => {
    expect(compareAnswers(json({ a: 1, b: [1, 2] }), json({ b: [1, 2], a: 1 }), config())).toEqual([]);
  });

  it('names a changed JSON field with both values in one line', () => {
    const ds = compareAnswers(json({ msg: 'hello', n: 1 }), json({ msg: 'bye', n: 1 }), config());
    expect(ds).toEqual([{ reason: 'field-value', field: '$.msg', primary: '"hello"', canary: '"bye"' }]);
    expect(describeDifference(ds[0]!)).toBe('$.msg: "hello" (primary) vs "bye" (canary)');
  });

  it('reports missing, added and retyped fields, inside arrays too', () => {
    const ds = compareAnswers(
      json({ items: [{ id: 1, x: 1 }], gone: true, t: 1 }),
      json({ items: [{ id: '1' }, { id: 2 }], t: 1, extra: null }),
      config(),
    );
    expect(ds.map((d) => `${d.reason} ${d.field}`)).toEqual([
      'field-type $.items[0].id',
      'field-missing $.items[0].x',
      'field-added $.items[1]',
      'field-missing $.gone',
      'field-added $.extra',
    ]);
  });

  it('leaves out the ignored JSON paths and everything under them, with [*] matching any index', () => {
    const ds = compareAnswers(
      json({ timestamp: 1, meta: { requestId: 'a', v: 1 }, items: [{ ts: 1, id: 1 }] }),
      json({ timestamp: 2, meta: { requestId: 'b', v: 1 }, items: [{ ts: 2, id: 1 }] }),
      config(['$.timestamp', "$['meta'].requestId", '$.items[*].ts']),
    );
    expect(ds).toEqual([]);
  });

  it('compares the status and only the chosen headers', () => {
    const ds = compareAnswers(
      json({}, 200, { 'x-version': '1', date: 'a' }),
      json({}, 503, { 'x-version': '2', date: 'b' }),
      config([], ['content-type', 'x-version']),
    );
    expect(ds.map((d) => d.field)).toEqual(['status', 'header x-version']);
  });

  it('compares a non-JSON or truncated body byte for byte', () => {
    const text = (s: string, truncated = false): CapturedAnswer => ({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from(s),
      truncated,
    });
    expect(compareAnswers(text('same'), text('same'), config())).toEqual([]);
    expect(compareAnswers(text('one'), text('two'), config())[0]).toMatchObject({ reason: 'body', field: 'body' });
    // the same first bytes but one was cut: different
    expect(compareAnswers(text('abc', true), text('abc'), config())).toHaveLength(1);
  });

  it('cuts long values in a difference', () => {
    const ds = compareAnswers(json({ a: 'x'.repeat(500) }), json({ a: 'y' }), config());
    expect(ds[0]!.primary.length).toBeLessThan(130);
  });
});

describe('NoiseModel', () => {
  it('does not count a field that differed between two primary answers, on any later request of the route', () => {
    const noise = new NoiseModel();
    const cfg = config();
    const p1 = json({ now: 1, msg: 'hi', items: [{ ts: 1 }] });
    const p2 = json({ now: 2, msg: 'hi', items: [{ ts: 2 }] });
    noise.learn('r', compareAnswers(p1, p2, cfg));
    const later = compareAnswers(
      json({ now: 5, msg: 'hi', items: [{ ts: 5 }, { ts: 6 }] }),
      json({ now: 6, msg: 'yo', items: [{ ts: 9 }, { ts: 7 }] }),
      cfg,
    );
    const { differences, noise: n } = noise.filter('r', later);
    expect(differences.map((d) => d.field)).toEqual(['$.msg']);
    expect(n).toBe(3);
    // another route learnt nothing
    expect(noise.filter('other', later).differences).toHaveLength(4);
  });
});
