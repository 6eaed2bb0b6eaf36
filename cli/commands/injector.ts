import { readFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startInjectorServer } from '../../controlplane/injector/server.js';
import { controlPlaneAddress, defaultImage, INJECTOR_PORT } from '../../controlplane/install/options.js';
import { weirVersion } from '../version.js';

export interface InjectorOptions {
  tlsCert: string;
  tlsKey: string;
  port?: string;
  host?: string;
  image?: string;
  controlPlane?: string;
  trustAnchors?: string;
  kubeconfig?: string;
}

/** The Kubernetes API, for namespace annotations: --kubeconfig, else in-cluster, else none (pod annotations only). */
function namespaceLookup(opts: InjectorOptions): (ns: string) => Promise<Record<string, string> | undefined> {
  let kc: KubeConfig | undefined;
  if (opts.kubeconfig) {
    kc = new KubeConfig();
    kc.loadFromFile(opts.kubeconfig);
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc = new KubeConfig();
    kc.loadFromCluster();
  }
  if (!kc) return () => Promise.resolve(undefined);
  const api = kc.makeApiClient(CoreV1Api);
  return async (name) => {
    try {
      return (await api.readNamespace({ name })).metadata?.annotations;
    } catch (err) {
      console.error(`weir injector: cannot read namespace ${name}: ${(err as Error).message}`);
      return undefined;
    }
  };
}

/** `weir injector`: the admission webhook that adds the weir-proxy sidecar, until SIGINT/SIGTERM. */
export async function injectorCommand(opts: InjectorOptions): Promise<number> {
  const port = opts.port === undefined ? INJECTOR_PORT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: wanted a port 0-65535, got "${opts.port}"`);
    return 2;
  }
  const read = async (flag: string, file: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`${flag} ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  };
  let cert: string, key: string, trustAnchorsPem: string | undefined;
  try {
    cert = await read('--tls-cert', opts.tlsCert);
    key = await read('--tls-key', opts.tlsKey);
    if (opts.trustAnchors) trustAnchorsPem = await read('--trust-anchors', opts.trustAnchors);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const version = weirVersion();
  const image = opts.image ?? defaultImage(version);
  const server = await startInjectorServer({
    cert,
    key,
    port,
    host: opts.host,
    config: () => ({
      image,
      version,
      controlPlane: opts.controlPlane ?? controlPlaneAddress(process.env.POD_NAMESPACE ?? 'weir'),
      ...(trustAnchorsPem !== undefined ? { trustAnchorsPem } : {}),
    }),
    namespaceAnnotations: namespaceLookup(opts),
    log: (line) => console.error(line),
  });
  console.log(`weir injector listening on https://${opts.host ?? '0.0.0.0'}:${server.port}/inject`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
