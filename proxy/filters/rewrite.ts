import { modifyTarget, type CompiledRewrite } from '../../engine/routing/index.js';
import type { RequestState } from './state.js';

/**
 * URLRewrite: the path is rewritten in the request target (query kept), the hostname replaces the
 * Host header sent upstream.
 */
export function applyRewrite(state: RequestState, rewrite: CompiledRewrite): void {
  if (rewrite.path !== undefined) state.url = modifyTarget(state.url, rewrite.path);
  if (rewrite.hostname !== undefined) state.headers = withHost(state.headers, rewrite.hostname);
}

function withHost(raw: readonly string[], host: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') continue;
    out.push(name, raw[i + 1] as string);
  }
  out.push('host', host);
  return out;
}
