import { selfSignedCert } from '../tls/self-signed.js';
import { commonLabels, names } from './options.js';

/**
 * The injector's `MutatingWebhookConfiguration` and its serving certificate, made at install time
 * (self-signed, for `weir-injector.NS.svc`): the certificate and key go into a `kubernetes.io/tls` Secret
 * the injector mounts, the certificate is the webhook's `caBundle`.
 *
 * The API server calls the injector for every Pod created in a namespace not labelled `weir.io/inject=disabled`
 * (nor kube-system, nor Weir's own), whose pod is not labelled `weir.io/inject=disabled`; the injector then
 * decides by the `weir.io/inject` annotations of the pod and its namespace (Linkerd's way: annotations
 * are not selectable, labels are). `failurePolicy: Ignore`: a missing injector never blocks a pod.
 */

export interface WebhookCert {
  cert: string;
  key: string;
}

export async function injectorCert(namespace: string): Promise<WebhookCert> {
  const host = `${names.injector}.${namespace}.svc`;
  return selfSignedCert({
    commonName: host,
    dnsNames: [host, `${host}.cluster.local`, `${names.injector}.${namespace}`],
    years: 10,
  });
}

export function injectorTlsSecret(namespace: string, cert: WebhookCert): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: names.injectorTls, namespace, labels: commonLabels(names.injector) },
    data: {
      'tls.crt': Buffer.from(cert.cert).toString('base64'),
      'tls.key': Buffer.from(cert.key).toString('base64'),
    },
  };
}

export function mutatingWebhookConfiguration(namespace: string, cert: WebhookCert): Record<string, unknown> {
  const notDisabled = { key: 'weir.io/inject', operator: 'NotIn', values: ['disabled'] };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: names.webhook, labels: commonLabels(names.injector) },
    webhooks: [
      {
        name: 'proxy-injector.weir.io',
        clientConfig: {
          service: { name: names.injector, namespace, path: '/inject', port: 443 },
          caBundle: Buffer.from(cert.cert).toString('base64'),
        },
        rules: [
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
        ],
        namespaceSelector: {
          matchExpressions: [
            notDisabled,
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', namespace] },
          ],
        },
        objectSelector: { matchExpressions: [notDisabled] },
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
        timeoutSeconds: 10,
      },
    ],
  };
}
