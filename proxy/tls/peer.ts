/**
 * What a connection accepted by the inbound side proved: set on the (decrypted) socket when its TLS
 * was terminated; a socket without it is plaintext. Read once per request, so the request path neither
 * looks at certificates nor builds strings. `T` is what the inbound side keeps per client identity.
 */
export const kPeer = Symbol('weir.tls.peer');

export interface Peer<T = unknown> {
  /** the client's identity (its verified leaf's DNS SAN); undefined: TLS without a client certificate */
  readonly clientId: string | undefined;
  /** the inbound side's per-identity state (metric series) */
  readonly state: T;
}

/** the peer of a socket (or an HTTP/2 session, which copies its socket's) */
export function peerOf<T>(holder: object | null | undefined): Peer<T> | undefined {
  return (holder as { [kPeer]?: Peer<T> } | null | undefined)?.[kPeer];
}

export function setPeer(holder: object, peer: Peer): void {
  (holder as { [kPeer]?: Peer })[kPeer] = peer;
}
