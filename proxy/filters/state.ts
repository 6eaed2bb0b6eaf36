/** The request as the filters of a rule and of its backend change it, before it is forwarded. */
export interface RequestState {
  method: string;
  /** origin-form request target (path and query) sent upstream */
  url: string;
  /** header lines sent upstream, `[name, value, ...]`, hop-by-hop headers removed; never mutated in place */
  headers: string[];
  /** header lines a CORS filter adds to the response, `[name, value, ...]` (filters/run.ts) */
  corsResponse?: string[];
}

/** the first value of header `lowerName` in a `[name, value, ...]` list, names compared without case */
export function lineValue(lines: readonly string[], lowerName: string): string | undefined {
  const n = lowerName.length;
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i] as string;
    if (name.length === n && name.toLowerCase() === lowerName) return lines[i + 1];
  }
  return undefined;
}
