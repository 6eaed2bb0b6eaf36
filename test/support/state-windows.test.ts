import { describe, expect, it } from 'vitest';
import { StateWindows } from './state-windows.js';

describe('StateWindows: requests attributed to the state read before and after them', () => {
  it('keeps a request whose two reads agree and drops one that straddles a transition', async () => {
    // the record moves to Promoting while the third request is in flight
    const record = ['Progressing', 'Progressing', 'Progressing', 'Promoting', 'Promoting'];
    let reads = 0;
    const w = new StateWindows(
      async () => record[Math.min(reads++, record.length - 1)]!,
      (s) => s,
    );
    await w.observe('plain', async () => 'v1');
    await w.observe('plain', async () => 'v1');
    await w.observe('plain', async () => 'v2');
    await w.observe('plain', async () => 'v2');
    expect(w.during('Progressing', 'plain')).toEqual(['v1', 'v1']);
    expect(w.during('Promoting', 'plain')).toEqual(['v2']);
    expect(w.straddled.get('plain')).toBe(1);
    // one read closes a window and opens the next
    expect(reads).toBe(5);
  });

  it('keeps the results of each tag apart, in the order they were answered', async () => {
    const w = new StateWindows(
      async () => ({ phase: 'Progressing', weight: 10 }),
      (s) => s.phase,
    );
    await w.observe('a', async () => 1);
    await w.observe('b', async () => 2);
    await w.observe('a', async () => 3);
    expect(w.during('Progressing', 'a')).toEqual([1, 3]);
    expect(w.during('Progressing', 'b')).toEqual([2]);
    expect(w.labels()).toEqual(['Progressing']);
  });
});
