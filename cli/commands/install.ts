import { installManifests, toYamlStream } from '../../controlplane/install/manifests.js';
import { defaultImage } from '../../controlplane/install/options.js';
import { weirVersion } from '../version.js';

export interface InstallCommandOptions {
  namespace: string;
  image?: string;
  crdsOnly?: boolean;
  skipCrds?: boolean;
  controllerOnly?: boolean;
}

/** `weir install`: print the manifests of an install, to pipe into `kubectl apply -f -`. */
export async function installCommand(opts: InstallCommandOptions): Promise<number> {
  if (opts.crdsOnly && opts.skipCrds) {
    console.error('--crds-only and --skip-crds exclude each other');
    return 2;
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace) || opts.namespace.length > 63) {
    console.error(`--namespace: wanted a DNS label (lower-case letters, digits, "-"), got "${opts.namespace}"`);
    return 2;
  }
  const version = weirVersion();
  const objects = await installManifests(
    { namespace: opts.namespace, image: opts.image ?? defaultImage(version), version },
    { crdsOnly: opts.crdsOnly, skipCrds: opts.skipCrds, controllerOnly: opts.controllerOnly },
  );
  process.stdout.write(toYamlStream(objects));
  return 0;
}
