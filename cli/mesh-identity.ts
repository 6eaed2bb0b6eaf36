import { join } from 'node:path';
import {
  CaCertifier,
  LocalTokens,
  loadAuthority,
  loadOrCreateAuthority,
  trustAnchorsPem,
  type Authority,
  type AuthorityPaths,
} from '../controlplane/identity/index.js';

/** The identity CA `weir up` hosts on its control plane, and what its sidecars are handed. */
export interface MeshIdentity {
  authority: Authority;
  certifier: CaCertifier;
  /** one token per pod, issued by the runtime and revoked when the pod goes */
  tokens: LocalTokens;
  /** the PEM bundle every sidecar trusts */
  trustAnchorsPem: string;
}

export interface MeshIdentityOptions {
  /** where a generated authority is kept (`STATE/identity`) */
  stateDir: string;
  /** the user's authority (`--trust-anchor`, `--issuer-cert`, `--issuer-key`) instead of a generated one */
  files?: AuthorityPaths;
  /** lifetime of the sidecars' certificates (24 h by default) */
  leafLifetimeMs?: number;
}

/** Load the user's authority, or make one on the first start and keep it in the state directory. */
export async function startMeshIdentity(options: MeshIdentityOptions): Promise<MeshIdentity> {
  const authority = options.files
    ? await loadAuthority(options.files)
    : await loadOrCreateAuthority(join(options.stateDir, 'identity'));
  const tokens = new LocalTokens();
  const certifier = new CaCertifier({
    authority,
    tokens,
    ...(options.leafLifetimeMs !== undefined ? { leafLifetimeMs: options.leafLifetimeMs } : {}),
  });
  return { authority, certifier, tokens, trustAnchorsPem: trustAnchorsPem(authority) };
}
