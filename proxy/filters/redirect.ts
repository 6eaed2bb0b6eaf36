import type { ServerResponse } from 'node:http';
import type { CompiledRedirect, HeaderEdit } from '../../engine/routing/index.js';
import { applyHeaderEdit } from './header-modifier.js';

/**
 * Answer with a RequestRedirect's status and `Location`, no body. It is not a proxy error (no
 * `weir-proxy-error`); the ResponseHeaderModifiers of the rule and backend still apply.
 */
export function sendRedirect(
  res: ServerResponse,
  redirect: CompiledRedirect,
  location: string,
  responseEdits: readonly (HeaderEdit | undefined)[],
  close: boolean,
): void {
  if (res.destroyed || res.headersSent) return;
  let headers = ['location', location, 'content-length', '0'];
  for (const e of responseEdits) if (e !== undefined) headers = applyHeaderEdit(headers, e);
  if (close) headers.push('connection', 'close');
  res.writeHead(redirect.statusCode, headers);
  res.end();
}
