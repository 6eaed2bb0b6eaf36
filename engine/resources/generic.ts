import { z } from 'zod';
import { objectMeta } from './meta.js';

/**
 * Kinds Weir stores and serves without interpreting them (Namespace, ServiceAccount, HPA, RBAC, CRDs of
 * other projects...): real manifests carry them next to the ones Weir acts on, and an API server keeps
 * them. Only `apiVersion`, `kind` and `metadata` are checked; everything else is kept as written.
 */

/** Names as the API server accepts them for most kinds: a non-empty path segment (RBAC allows `system:x`). */
const pathSegmentName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[^/%]+$/, 'a name without "/" or "%"')
  .refine((s) => s !== '.' && s !== '..', 'a name other than "." or ".."');

const genericMeta = objectMeta.extend({ name: pathSegmentName });
/** Cluster-scoped objects live in no namespace: the store keeps them under namespace "". */
const clusterMeta = genericMeta.extend({
  namespace: z
    .string()
    .optional()
    .transform(() => ''),
});

const apiVersion = z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+[a-z0-9]*$/, 'group/version, e.g. v1');

export function genericSchema(kind: string, namespaced: boolean): z.ZodType {
  return z.looseObject({
    apiVersion,
    kind: z.literal(kind),
    metadata: namespaced ? genericMeta : clusterMeta,
  });
}

export interface GenericKindSpec {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
}

const g = (
  group: string,
  version: string,
  kind: string,
  namespaced = true,
  shortNames: string[] = [],
  plural = pluralOf(kind),
): GenericKindSpec => ({ kind, group, version, plural, namespaced, shortNames });

/** Well-known kinds of Kubernetes and the projects Weir follows, stored as written. */
export const wellKnownGenericKinds: GenericKindSpec[] = [
  g('', 'v1', 'Namespace', false, ['ns']),
  g('', 'v1', 'ServiceAccount', true, ['sa']),
  g('', 'v1', 'PersistentVolumeClaim', true, ['pvc']),
  g('', 'v1', 'PersistentVolume', false, ['pv']),
  g('', 'v1', 'ResourceQuota', true, ['quota']),
  g('', 'v1', 'LimitRange', true, ['limits']),
  g('', 'v1', 'Endpoints', true, [], 'endpoints'),
  g('apps', 'v1', 'StatefulSet', true, ['sts']),
  g('apps', 'v1', 'DaemonSet', true, ['ds']),
  g('apps', 'v1', 'ReplicaSet', true, ['rs']),
  g('batch', 'v1', 'Job'),
  g('batch', 'v1', 'CronJob', true, ['cj']),
  g('autoscaling', 'v2', 'HorizontalPodAutoscaler', true, ['hpa']),
  g('policy', 'v1', 'PodDisruptionBudget', true, ['pdb']),
  g('rbac.authorization.k8s.io', 'v1', 'Role'),
  g('rbac.authorization.k8s.io', 'v1', 'RoleBinding'),
  g('rbac.authorization.k8s.io', 'v1', 'ClusterRole', false),
  g('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', false),
  g('networking.k8s.io', 'v1', 'Ingress', true, ['ing']),
  g('networking.k8s.io', 'v1', 'IngressClass', false),
  g('networking.k8s.io', 'v1', 'NetworkPolicy', true, ['netpol']),
  g('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', false, ['crd', 'crds']),
  g('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', false),
  g('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', false),
  g('gateway.networking.k8s.io', 'v1', 'Gateway', true, ['gtw']),
  g('gateway.networking.k8s.io', 'v1', 'GatewayClass', false, ['gc']),
  g('gateway.networking.k8s.io', 'v1beta1', 'ReferenceGrant', true, ['refgrant']),
];

/**
 * Groups whose kinds are all known: an unknown kind there is a typo, not a CRD of another project
 * (`apiVersion: v1, kind: Sevice`), and stays an error.
 */
export const closedGroups: ReadonlySet<string> = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'rbac.authorization.k8s.io',
  'networking.k8s.io',
  'discovery.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'flagger.app',
  'gateway.networking.k8s.io',
  'policy.linkerd.io',
]);

/** The resource name the API server derives from a kind: `Canary` -> `canaries`, `Ingress` -> `ingresses`. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/** `apps/v1` -> { group: 'apps', version: 'v1' }; `v1` -> core. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
