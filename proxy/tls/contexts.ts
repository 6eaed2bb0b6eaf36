import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import type { IdentitySource, TlsMaterial } from './material.js';

/** meshed proxies speak TLS 1.3 only between them, as Linkerd's */
export const MESH_TLS_VERSION: SecureVersion = 'TLSv1.3';

/**
 * The proxy's own TLS material as Node secure contexts, kept current: one for the client side
 * (outbound: our certificate, the trust anchors to check servers with) and one for the server side
 * (inbound: our certificate, the trust anchors to check client certificates with). They are rebuilt
 * when the `IdentitySource` renews the material; connections made from then on use the new ones,
 * established connections keep theirs.
 */
export class TlsContexts {
  private material: TlsMaterial | undefined;
  private ctx: SecureContext | undefined;
  private readonly listeners: ((m: TlsMaterial) => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    source: IdentitySource,
    private readonly onError: (err: Error) => void,
  ) {
    this.unsubscribe = source.onUpdate((m) => this.set(m));
    const m = source.current();
    if (m !== undefined) this.set(m);
  }

  private set(m: TlsMaterial): void {
    // built before it replaces anything: bad material keeps the previous context
    try {
      this.ctx = createSecureContext({
        key: m.keyPem,
        cert: m.certChainPem,
        ca: m.trustAnchorsPem,
        minVersion: MESH_TLS_VERSION,
      });
    } catch (err) {
      this.onError(new Error(`TLS material for ${m.identity} refused: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.material = m;
    for (const l of this.listeners) l(m);
  }

  /** the proxy's own identity, once it has material */
  get identity(): string | undefined {
    return this.material?.identity;
  }

  /** the current material, once there is some */
  get current(): TlsMaterial | undefined {
    return this.material;
  }

  /** the current context (own certificate chain and key, the trust anchors), once there is material */
  get context(): SecureContext | undefined {
    return this.ctx;
  }

  /** called after each new material is in force */
  onChange(listener: (m: TlsMaterial) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.length = 0;
  }
}
