import { stringify } from 'yaml';
import { customResourceDefinitions } from './crds.js';
import { controllerDeployment, controlPlaneDeployment, injectorDeployment } from './deployments.js';
import { commonLabels, type InstallOptions } from './options.js';
import { rbacFor } from './rbac.js';
import { identityObjects, makeIdentity, type IdentityPems } from './identity.js';
import { injectorCert, injectorTlsSecret, mutatingWebhookConfiguration, type WebhookCert } from './webhook.js';

/** Which part of the install to print. */
export interface InstallSelection {
  /** only the CRDs */
  crdsOnly?: boolean;
  /** everything but the CRDs */
  skipCrds?: boolean;
  /** only what `weir controller` needs (the Flagger replacement): CRDs, its RBAC and Deployment */
  controllerOnly?: boolean;
}

/** Every manifest of an install, in apply order (Namespace and CRDs first). `cert`, `identity`: default made here. */
export async function installManifests(
  opts: InstallOptions,
  select: InstallSelection = {},
  cert?: WebhookCert,
  identity?: IdentityPems,
): Promise<Record<string, unknown>[]> {
  const crds = select.skipCrds ? [] : customResourceDefinitions();
  if (select.crdsOnly) return crds;
  const ns = opts.namespace;
  const namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { ...commonLabels('weir'), 'weir.io/inject': 'disabled' } },
  };
  const controller = [...rbacFor.controller(ns), ...controllerDeployment(opts)];
  if (select.controllerOnly) return [namespace, ...crds, ...controller];
  const tls = cert ?? (await injectorCert(ns));
  const pems = identity ?? (await makeIdentity());
  return [
    namespace,
    ...crds,
    ...controller,
    ...rbacFor.controlPlane(ns),
    ...identityObjects(ns, pems),
    ...controlPlaneDeployment(opts),
    ...rbacFor.injector(ns),
    injectorTlsSecret(ns, tls),
    ...injectorDeployment(opts),
    mutatingWebhookConfiguration(ns, tls),
  ];
}

export function toYamlStream(objects: Record<string, unknown>[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
