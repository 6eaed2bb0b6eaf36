/**
 * The key of an endpoint's connections: `address:port`, and for mTLS the identity it must prove
 * (`address:port#identity`), so that plaintext and TLS connections to one address never share a pool.
 */
export function connectionKey(address: string, port: number, identity: string | undefined): string {
  return identity === undefined ? `${address}:${port}` : `${address}:${port}#${identity}`;
}
