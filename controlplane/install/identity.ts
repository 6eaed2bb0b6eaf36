import { createIssuer, createTrustAnchor } from '../identity/authority.js';
import { privateKeyToPem } from '../identity/x509.js';
import { commonLabels, names } from './options.js';

/**
 * The mesh's identity CA, made at install time as `linkerd install` does: a trust anchor (ECDSA P-256, 10 years)
 * and an issuer signed by it (1 year). The issuer and its key, with the trust anchor, go into the Secret the
 * control plane mounts (`weir control-plane --trust-anchor --issuer-cert --issuer-key`); the trust anchor alone
 * into the ConfigMap the injector mounts and hands to every sidecar (`weir injector --trust-anchors`).
 * The trust anchor's key is not kept: a new issuer means a new install (or your own CA, see docs/kubernetes.md).
 */

export interface IdentityPems {
  trustAnchor: string;
  issuerCert: string;
  issuerKey: string;
}

export async function makeIdentity(now = Date.now()): Promise<IdentityPems> {
  const anchor = await createTrustAnchor(now);
  const issuer = await createIssuer(anchor.cert, anchor.keys.privateKey, now);
  return {
    trustAnchor: anchor.cert.toString('pem') + '\n',
    issuerCert: issuer.cert.toString('pem') + '\n',
    issuerKey: await privateKeyToPem(issuer.keys.privateKey),
  };
}

export function identityObjects(namespace: string, pems: IdentityPems): Record<string, unknown>[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: names.identityIssuer, namespace, labels: commonLabels(names.controlPlane) },
      data: { 'ca.crt': b64(pems.trustAnchor), 'tls.crt': b64(pems.issuerCert), 'tls.key': b64(pems.issuerKey) },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: names.trustAnchors, namespace, labels: commonLabels(names.injector) },
      data: { 'ca-bundle.crt': pems.trustAnchor },
    },
  ];
}
