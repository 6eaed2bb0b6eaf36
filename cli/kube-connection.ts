import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeStore } from '../controlplane/store/kube-store.js';
import type { Logger } from './logger.js';

/**
 * The cluster a command talks to: `--kubeconfig F`, else `KubeConfig.loadFromDefault()` ($KUBECONFIG,
 * ~/.kube/config, or the pod's service account when run in a cluster). A string is what is wrong.
 */
export function loadKubeConfig(file: string | undefined): { kubeConfig: KubeConfig; server: string } | string {
  const kubeConfig = new KubeConfig();
  try {
    if (file !== undefined) kubeConfig.loadFromFile(resolve(file));
    else kubeConfig.loadFromDefault();
  } catch (err) {
    return `${file !== undefined ? `--kubeconfig ${file}` : 'kubeconfig'}: ${err instanceof Error ? err.message : String(err)}`;
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster)
    return `${file !== undefined ? `--kubeconfig ${file}` : 'the default kubeconfig'}: no current cluster (is current-context set?)`;
  return { kubeConfig, server: cluster.server };
}

/** resolves with the signal's name on the first SIGINT or SIGTERM */
export function nextStopSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (sig: string) => () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
      done(sig);
    };
    const int = on('SIGINT');
    const term = on('SIGTERM');
    process.once('SIGINT', int);
    process.once('SIGTERM', term);
  });
}

/**
 * A started `KubeStore` whose caches are filled, or undefined when a stop signal came first (the store is
 * then closed). Kinds the server does not serve are reported once on stderr as `PREFIX: KIND: why`.
 */
export async function openKubeStore(
  prefix: string,
  options: { kubeConfig: KubeConfig; namespace?: string; kinds: string[]; logger: Logger },
  stop: Promise<string>,
): Promise<KubeStore | undefined> {
  const store = new KubeStore(options);
  store.start();
  const first = await Promise.race([store.ready().then(() => 'ready'), stop]);
  if (first !== 'ready') {
    console.log(`${first}: stopping`);
    await store.close();
    return undefined;
  }
  for (const a of store.absentKinds()) console.error(`${prefix}: ${a.kind}: ${a.why}`);
  return store;
}

export const isPort = (v: number | undefined): boolean =>
  v === undefined || (Number.isInteger(v) && v >= 0 && v < 65536);
