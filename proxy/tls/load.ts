import type { InboundTls, Terminated } from './accept.js';
import type { UpstreamTls } from './connect.js';
import type { TlsContexts } from './contexts.js';
import type { IdentitySource } from './material.js';

/**
 * mTLS is loaded only for a proxy given an `IdentitySource`: without one, node:tls and the TLS layer
 * stay out of the process and nothing on the request path changes (as tracing/load.ts does).
 */
export interface MeshTls {
  readonly contexts: TlsContexts;
  readonly upstream: UpstreamTls;
  /** `detectTimeoutMs` bounds the wait for a whole ClientHello, as protocol detection's first read */
  inbound(detectTimeoutMs: number, terminated: Terminated): InboundTls;
}

export async function loadMeshTls(source: IdentitySource, onError: (err: Error) => void): Promise<MeshTls> {
  const [{ TlsContexts }, { UpstreamTls }, { InboundTls }] = await Promise.all([
    import('./contexts.js'),
    import('./connect.js'),
    import('./accept.js'),
  ]);
  const contexts = new TlsContexts(source, onError);
  return {
    contexts,
    upstream: new UpstreamTls(contexts),
    inbound: (timeoutMs, terminated) => new InboundTls(contexts, timeoutMs, terminated),
  };
}
