import type { HeaderEdit } from '../../engine/routing/index.js';

/**
 * Apply a compiled RequestHeaderModifier / ResponseHeaderModifier to a flat `[name, value, ...]` header
 * list. Returns a new list (the input, which may be Node's own `rawHeaders`, is never changed):
 * lines named by `set` or `remove` are dropped (any case), `set` lines are appended, and each `add`
 * value is appended to the existing lines of that name as one `old,new` line (or added when absent).
 */
export function applyHeaderEdit(raw: readonly string[], edit: HeaderEdit): string[] {
  const out: string[] = [];
  const lengths = edit.lengths;
  const addIndex = edit.addIndex;
  /** position in `out` of the (merged) line of each `add` header seen in the input */
  let addAt: number[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.length < lengths.length && lengths[name.length] === 1) {
      const lower = name.toLowerCase();
      if (edit.drop.has(lower)) continue;
      const a = addIndex.get(lower);
      if (a !== undefined) {
        addAt ??= [];
        const at = addAt[a];
        if (at !== undefined) {
          out[at + 1] = `${out[at + 1] as string},${value}`;
          continue;
        }
        addAt[a] = out.length;
      }
    }
    out.push(name, value);
  }
  const set = edit.set;
  for (let i = 0; i < set.length; i++) out.push(set[i] as string);
  const add = edit.add;
  for (let i = 0; i < add.length; i += 2) {
    const at = addAt?.[i / 2];
    if (at === undefined) out.push(add[i] as string, add[i + 1] as string);
    else out[at + 1] = `${out[at + 1] as string},${add[i + 1] as string}`;
  }
  return out;
}

/** undici's raw response header buffers as strings (latin1, byte for byte), for `applyHeaderEdit`. */
export function headerStrings(raw: readonly (Buffer | string)[]): string[] {
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] as Buffer | string;
    out[i] = typeof v === 'string' ? v : v.toString('latin1');
  }
  return out;
}
