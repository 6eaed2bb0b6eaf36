import type { PeerCertificate } from 'node:tls';

/**
 * Which identity a certificate names: a meshed proxy's identity is a DNS SAN of its leaf
 * (`default.test.serviceaccount.identity.weir.cluster.local`); the leaf's URI SAN (SPIFFE) is not used.
 */

/** the DNS names of `cert`'s subjectAltName, in order */
export function dnsNames(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  const san = cert?.subjectaltname;
  if (san === undefined || san === '') return [];
  const names: string[] = [];
  for (const part of san.split(', ')) if (part.startsWith('DNS:')) names.push(part.slice(4));
  return names;
}

/** whether `cert` names `identity` exactly (no wildcards: identities are never wildcards) */
export function namesIdentity(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined, identity: string): boolean {
  return dnsNames(cert).includes(identity);
}

/** the identity a (verified) peer leaf proves: its first DNS SAN */
export function identityOf(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string | undefined {
  return dnsNames(cert)[0];
}

/** the error `checkServerIdentity` returns for a server whose leaf does not name the expected identity */
export class IdentityMismatchError extends Error {
  readonly code = 'WEIR_TLS_IDENTITY_MISMATCH';
  constructor(
    readonly expected: string,
    readonly presented: readonly string[],
  ) {
    super(`server identity mismatch: expected ${expected}, got ${presented.join(', ') || 'no DNS name'}`);
    this.name = 'IdentityMismatchError';
  }
}
