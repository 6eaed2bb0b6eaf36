import { LINKERD_PROXY_ERROR_HEADER, PROXY_ERROR_HEADER } from '../errors.js';
import { ForwardHandler } from './forward.js';

/**
 * The inbound side's forward to its pod's own app: a `ForwardHandler` whose response never carries the
 * proxy's error headers (`weir-proxy-error`, `l5d-proxy-error`). The outbound proxy in front takes them, from
 * a sidecar over mTLS, to mean that nothing reached the app, and sends the request to another pod
 * (errors.ts `sidecarUnsent`): an app setting them would have its requests served twice. Only the proxy says
 * what the proxy did.
 */
export class AppForwardHandler extends ForwardHandler {
  override onHeaders(
    statusCode: number,
    rawHeaders: Buffer[] | string[],
    resume: () => void,
    statusText: string,
  ): boolean {
    return super.onHeaders(statusCode, withoutProxyErrorHeaders(rawHeaders), resume, statusText);
  }
}

/** `raw` (undici's flat name/value list) without the proxy's error headers; `raw` itself when it has none */
export function withoutProxyErrorHeaders(raw: Buffer[] | string[]): Buffer[] | string[] {
  let found = false;
  for (let i = 0; i < raw.length && !found; i += 2) found = isProxyErrorName(raw[i]!);
  if (!found) return raw;
  const out: Array<Buffer | string> = [];
  for (let i = 0; i < raw.length; i += 2) if (!isProxyErrorName(raw[i]!)) out.push(raw[i]!, raw[i + 1]!);
  return out as Buffer[] | string[];
}

function isProxyErrorName(name: Buffer | string): boolean {
  const n = name.length;
  if (n !== PROXY_ERROR_HEADER.length && n !== LINKERD_PROXY_ERROR_HEADER.length) return false;
  const lower = name.toString('latin1').toLowerCase();
  return lower === PROXY_ERROR_HEADER || lower === LINKERD_PROXY_ERROR_HEADER;
}
