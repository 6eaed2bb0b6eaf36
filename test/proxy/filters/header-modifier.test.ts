import { describe, expect, it } from 'vitest';
import { compileHeaderEdit } from '../../../engine/routing/index.js';
import { applyHeaderEdit, headerStrings } from '../../../proxy/filters/header-modifier.js';

const edit = (f: Parameters<typeof compileHeaderEdit>[0]) => compileHeaderEdit(f)!;

describe('header modifier on raw header lists', () => {
  it.each<[string, Parameters<typeof compileHeaderEdit>[0], string[], string[]]>([
    ['set adds when absent', { set: [{ name: 'X-Set', value: 'v' }] }, ['host', 'a'], ['host', 'a', 'X-Set', 'v']],
    [
      'set replaces every line, any case',
      { set: [{ name: 'X-Header-Set', value: 'new' }] },
      ['x-header-set', 'a', 'host', 'h', 'X-HEADER-SET', 'b'],
      ['host', 'h', 'X-Header-Set', 'new'],
    ],
    [
      'add appends as old,new (no space), merging repeated lines',
      { add: [{ name: 'X-Add', value: 'new' }] },
      ['x-add', 'one', 'host', 'h', 'X-ADD', 'two'],
      ['x-add', 'one,two,new', 'host', 'h'],
    ],
    ['add when absent', { add: [{ name: 'X-Add', value: 'new' }] }, ['host', 'h'], ['host', 'h', 'X-Add', 'new']],
    [
      'remove drops every line, any case',
      { remove: ['X-Gone'] },
      ['X-GONE', '1', 'host', 'h', 'x-gone', '2'],
      ['host', 'h'],
    ],
    [
      'a configured comma value stays one value',
      { set: [{ name: 'X-Multi', value: 'bar,baz' }] },
      [],
      ['X-Multi', 'bar,baz'],
    ],
  ])('%s', (_, f, input, output) => {
    const frozen = Object.freeze([...input]);
    expect(applyHeaderEdit(frozen, edit(f))).toEqual(output);
  });

  it('never changes its input (it may be Node rawHeaders)', () => {
    const input = ['x-a', '1', 'x-b', '2'];
    applyHeaderEdit(input, edit({ set: [{ name: 'x-a', value: '9' }], remove: ['x-b'] }));
    expect(input).toEqual(['x-a', '1', 'x-b', '2']);
  });

  it('reads undici raw buffers byte for byte', () => {
    expect(headerStrings([Buffer.from('X-A'), Buffer.from('caf\xe9', 'latin1')])).toEqual(['X-A', 'caf\xe9']);
  });
});
