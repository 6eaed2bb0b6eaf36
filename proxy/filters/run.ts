import type { CompiledFilters, CompiledMirror, FilterStep } from '../../engine/routing/index.js';
import { applyHeaderEdit } from './header-modifier.js';
import { applyRewrite } from './rewrite.js';
import { lineValue, type RequestState } from './state.js';

/** a step that answers the request itself */
export type AnsweringStep = Extract<FilterStep, { kind: 'redirect' | 'fail' | 'cors' }>;

/**
 * Run the request-side steps of one compiled filter list on `rs`, in order: header edits and URLRewrite
 * change `rs`, each RequestMirror that samples the request (num/den by `random`) is reported with the
 * path and headers as they are at its place in the list; a CORS filter notes the headers the response
 * will get (`rs.corsResponse`). Stops at, and returns, the first step that answers the request
 * (RequestRedirect, a CORS preflight, or an unsupported filter); undefined when the request goes on.
 */
export function runFilterSteps(
  f: CompiledFilters,
  rs: RequestState,
  random: () => number,
  onMirror: (m: CompiledMirror, url: string, headers: string[]) => void,
): AnsweringStep | undefined {
  const steps = f.steps;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as FilterStep;
    switch (s.kind) {
      case 'headers':
        rs.headers = applyHeaderEdit(rs.headers, s.edit);
        break;
      case 'rewrite':
        applyRewrite(rs, s.rewrite);
        break;
      case 'mirror': {
        const m = s.mirror;
        if (m.numerator >= m.denominator || random() * m.denominator < m.numerator) onMirror(m, rs.url, rs.headers);
        break;
      }
      case 'cors': {
        const origin = lineValue(rs.headers, 'origin');
        if (origin === undefined) break;
        if (rs.method === 'OPTIONS' && lineValue(rs.headers, 'access-control-request-method') !== undefined) return s;
        rs.corsResponse = s.cors.response(origin);
        break;
      }
      case 'redirect':
      case 'fail':
        return s;
    }
  }
  return undefined;
}
