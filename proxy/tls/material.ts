/**
 * What mutual TLS between meshed proxies is made of, as the sidecar's certificate manager hands it over
 * (proxy/identity implements `IdentitySource`; the proxy only consumes it).
 */

export interface TlsMaterial {
  identity: string;
  keyPem: string;
  certChainPem: string /* leaf first, then intermediates */;
  trustAnchorsPem: string;
  notAfter: number /* ms epoch */;
}

export interface IdentitySource {
  current(): TlsMaterial | undefined;
  onUpdate(listener: (m: TlsMaterial) => void): () => void;
}
