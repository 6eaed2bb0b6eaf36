/**
 * Identity names, as Linkerd's: a workload (namespace + service account) is
 * `<sa>.<ns>.serviceaccount.identity.weir.cluster.local`, written into a leaf certificate as a DNS SAN,
 * beside the SPIFFE ID `spiffe://cluster.local/ns/<ns>/sa/<sa>` as a URI SAN.
 */

export interface Workload {
  namespace: string;
  serviceAccount: string;
}

/** the control plane's namespace and trust domain in the name, as Linkerd's `identity.linkerd.cluster.local` */
export const IDENTITY_SUFFIX = 'serviceaccount.identity.weir.cluster.local';
export const TRUST_DOMAIN = 'cluster.local';

/**
 * A Kubernetes DNS label (RFC 1123). Namespaces are; service account names may be DNS subdomains, but a dot
 * in one would make `<sa>.<ns>.` ambiguous, so such a name has no identity here.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isValidWorkload(w: Workload): boolean {
  return DNS_LABEL.test(w.namespace) && DNS_LABEL.test(w.serviceAccount);
}

/** `<sa>.<ns>.serviceaccount.identity.weir.cluster.local`; throws on a name that is not a DNS label */
export function identityName(w: Workload): string {
  if (!isValidWorkload(w))
    throw new Error(
      `identity: namespace ${JSON.stringify(w.namespace)} and service account ${JSON.stringify(w.serviceAccount)} must be DNS labels`,
    );
  return `${w.serviceAccount}.${w.namespace}.${IDENTITY_SUFFIX}`;
}

/** the workload an identity name stands for, or undefined when it is not one of ours */
export function parseIdentityName(name: string): Workload | undefined {
  const suffix = `.${IDENTITY_SUFFIX}`;
  if (!name.endsWith(suffix)) return undefined;
  const parts = name.slice(0, -suffix.length).split('.');
  if (parts.length !== 2) return undefined;
  const [serviceAccount, namespace] = parts as [string, string];
  const w = { namespace, serviceAccount };
  return isValidWorkload(w) ? w : undefined;
}

/** `spiffe://cluster.local/ns/<ns>/sa/<sa>` */
export function spiffeId(w: Workload): string {
  if (!isValidWorkload(w)) throw new Error(`identity: not a valid workload ${JSON.stringify(w)}`);
  return `spiffe://${TRUST_DOMAIN}/ns/${w.namespace}/sa/${w.serviceAccount}`;
}

/** the workload a SPIFFE ID of our trust domain stands for, or undefined */
export function parseSpiffeId(uri: string): Workload | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (!m || m[1] !== TRUST_DOMAIN) return undefined;
  const w = { namespace: m[2]!, serviceAccount: m[3]! };
  return isValidWorkload(w) ? w : undefined;
}
