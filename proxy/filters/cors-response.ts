import { compileHeaderEdit, type HeaderEdit } from '../../engine/routing/index.js';

/**
 * The CORS headers a filter grants one request's origin (`rs.corsResponse`, `[name, value, ...]`) as
 * a response edit: `Vary: Origin` is added to what the backend varies on, every other header is set
 * (the proxy's CORS policy wins over the backend's own, as Envoy's CORS filter does).
 */
export function corsEdit(lines: readonly string[]): HeaderEdit {
  const set: Array<{ name: string; value: string }> = [];
  const add: Array<{ name: string; value: string }> = [];
  for (let i = 0; i < lines.length; i += 2) {
    const h = { name: lines[i] as string, value: lines[i + 1] as string };
    (h.name === 'vary' ? add : set).push(h);
  }
  return compileHeaderEdit({ set, add }) as HeaderEdit;
}
