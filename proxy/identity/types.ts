/**
 * The sidecar's side of identity: the Certify messages (the wire contract, proto/certify.ts) and what the
 * mTLS layer takes (proxy/tls/material.ts).
 */
export type { CertifyRequest, CertifyResponse } from '../../proto/certify.js';
export type { IdentitySource, TlsMaterial } from '../tls/material.js';
