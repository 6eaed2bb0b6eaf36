import { KubeConfig } from '@kubernetes/client-node';
import { formatCheck, installChecks, preInstallChecks } from '../../controlplane/check/checks.js';

export interface CheckOptions {
  pre?: boolean;
  kubeconfig?: string;
  namespace: string;
}

/** `weir check [--pre]`: one line per check; exit 0 when nothing failed (warnings allowed), else 1. */
export async function checkCommand(opts: CheckOptions): Promise<number> {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    console.log(
      `× cannot load the kubeconfig ${opts.kubeconfig ?? '($KUBECONFIG or ~/.kube/config)'}: ${(err as Error).message}`,
    );
    return 1;
  }
  const results = opts.pre ? await preInstallChecks(kc) : await installChecks(kc, opts.namespace);
  for (const r of results) console.log(formatCheck(r));
  const failed = results.filter((r) => !r.ok && !r.warning).length;
  console.log(failed === 0 ? 'Status check results are √' : `Status check results are × (${failed} failed)`);
  return failed === 0 ? 0 : 1;
}
