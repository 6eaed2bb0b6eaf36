/**
 * The small JSONPath subset the ignored-fields list uses: `$` then `.name`, `['name']`, `[3]`, `[*]` or
 * `.*` segments, e.g. `$.timestamp`, `$.meta.requestId`, `$.items[*].id`. A path selects a field and
 * everything under it. A concrete location in a document is a list of keys and array indices.
 */
export type PathSegment = string | number | typeof ANY;
export const ANY: unique symbol = Symbol('any');

export type Location = ReadonlyArray<string | number>;

/** parse one path; throws with what is wrong in it */
export function parseJsonPath(text: string): PathSegment[] {
  const s = text.trim();
  if (!s.startsWith('$')) throw new Error(`${JSON.stringify(text)}: a JSON path starts with "$"`);
  const out: PathSegment[] = [];
  let i = 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      const m = /^\.(\*|[A-Za-z0-9_$@-]+)/.exec(s.slice(i));
      if (!m) throw new Error(`${JSON.stringify(text)}: expected a field name after "." at ${i}`);
      out.push(m[1] === '*' ? ANY : (m[1] as string));
      i += m[0].length;
    } else if (c === '[') {
      const m = /^\[(\*|\d+|'([^']*)'|"([^"]*)")\]/.exec(s.slice(i));
      if (!m) throw new Error(`${JSON.stringify(text)}: expected [n], [*] or ['name'] at ${i}`);
      if (m[1] === '*') out.push(ANY);
      else if (m[2] !== undefined) out.push(m[2]);
      else if (m[3] !== undefined) out.push(m[3]);
      else out.push(Number(m[1]));
      i += m[0].length;
    } else {
      throw new Error(`${JSON.stringify(text)}: unexpected ${JSON.stringify(c)} at ${i}`);
    }
  }
  return out;
}

/** true when `path` selects `loc` or one of its parents (the location lies under the path) */
export function pathCovers(path: readonly PathSegment[], loc: Location): boolean {
  if (path.length > loc.length) return false;
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (p === ANY) continue;
    const l = loc[i];
    if (typeof p === 'number' ? l !== p : String(l) !== p) return false;
  }
  return true;
}

/** a location written as a path: `$.items[2].id`, `$['a b']` */
export function formatLocation(loc: Location): string {
  let out = '$';
  for (const k of loc) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(k)) out += `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}
