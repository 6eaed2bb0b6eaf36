/** The request as the filters of a rule and of its backend change it, before it is forwarded. */
export interface RequestState {
  method: string;
  /** origin-form request target (path and query) sent upstream */
  url: string;
  /** header lines sent upstream, `[name, value, ...]`, hop-by-hop headers removed; never mutated in place */
  headers: string[];
}
