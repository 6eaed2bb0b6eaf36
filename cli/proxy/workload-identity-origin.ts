import { readFile } from 'node:fs/promises';
import { identityName, isValidWorkload } from '../../controlplane/identity/names.js';
import { parseDurationMs } from '../../engine/resources/meta.js';
import { certifyOverGrpc } from '../../proxy/control/index.js';
import type { WorkloadIdentity } from '../../proxy/identity/workload-identity.js';

/** the identity flags of `weir proxy`, as given */
export interface IdentityFlags {
  controlPlane?: string;
  namespace?: string;
  serviceAccount?: string;
  identityTokenFile?: string;
  trustAnchors?: string;
  requireIdentity?: boolean;
  /** the shortest wait before a renewal, a Go duration (default 10s, Linkerd's min refresh) */
  identityMinRefresh?: string;
}

/** `--identity-min-refresh` in ms, undefined when not given, NaN when malformed */
function minRefreshMs(opts: IdentityFlags): number | undefined {
  if (opts.identityMinRefresh === undefined) return undefined;
  const ms = parseDurationMs(opts.identityMinRefresh);
  return ms !== undefined && ms >= 1 ? ms : NaN;
}

/** what is wrong with the identity flags, or undefined */
export function checkIdentityFlags(opts: IdentityFlags): string | undefined {
  if (Number.isNaN(minRefreshMs(opts)))
    return `--identity-min-refresh must be a positive Go duration (for example 500ms or 10s), got ${JSON.stringify(opts.identityMinRefresh)}`;
  if (opts.identityTokenFile === undefined) {
    if (opts.trustAnchors !== undefined) return '--trust-anchors needs --identity-token-file';
    if (opts.identityMinRefresh !== undefined) return '--identity-min-refresh needs --identity-token-file';
    if (opts.requireIdentity === true) return '--require-identity needs an identity (--identity-token-file)';
    return undefined;
  }
  if (opts.trustAnchors === undefined) return '--identity-token-file needs --trust-anchors FILE';
  if (opts.controlPlane === undefined)
    return '--identity-token-file needs --control-plane (certificates come from its Identity API)';
  const workload = { namespace: opts.namespace ?? 'default', serviceAccount: opts.serviceAccount ?? 'default' };
  if (!isValidWorkload(workload))
    return `--namespace ${JSON.stringify(workload.namespace)} and --service-account ${JSON.stringify(workload.serviceAccount)} must be DNS labels to make an identity`;
  return undefined;
}

/**
 * The sidecar's certificate, from the control plane: its own key and CSR (proxy/identity), the token read
 * from FILE before each request (the runtime may rotate it), answers checked against the trust anchors of
 * `--trust-anchors`. Throws, naming the file, when the trust anchors cannot be read or hold no certificate.
 */
export async function openWorkloadIdentity(
  opts: IdentityFlags & { identityTokenFile: string; trustAnchors: string; controlPlane: string },
  onError: (err: Error) => void,
): Promise<WorkloadIdentity> {
  const identity = identityName({
    namespace: opts.namespace ?? 'default',
    serviceAccount: opts.serviceAccount ?? 'default',
  });
  let trustAnchorsPem: string;
  try {
    trustAnchorsPem = await readFile(opts.trustAnchors, 'utf8');
  } catch (err) {
    throw new Error(
      `--trust-anchors ${opts.trustAnchors}: cannot be read (${(err as NodeJS.ErrnoException).code ?? ''})`,
    );
  }
  const tokenFile = opts.identityTokenFile;
  const { WorkloadIdentity } = await import('../../proxy/identity/workload-identity.js');
  const minRefresh = minRefreshMs(opts);
  let source: WorkloadIdentity;
  try {
    source = new WorkloadIdentity({
      identity,
      trustAnchorsPem,
      token: async () => {
        try {
          return (await readFile(tokenFile, 'utf8')).trim();
        } catch (err) {
          throw new Error(
            `--identity-token-file ${tokenFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? ''})`,
          );
        }
      },
      certify: certifyOverGrpc(opts.controlPlane),
      ...(minRefresh !== undefined ? { minRefreshMs: minRefresh } : {}),
      onError,
    });
  } catch (err) {
    throw new Error(`--trust-anchors ${opts.trustAnchors}: ${(err as Error).message}`);
  }
  return source.start();
}
