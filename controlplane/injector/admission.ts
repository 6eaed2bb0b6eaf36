import jsonpatch from 'fast-json-patch';
import { injectionDecision, injectPod, isInjected, type PodLike, type ProxyInjectConfig } from './inject.js';

/**
 * One AdmissionReview (admission.k8s.io/v1) of a Pod in, the review with its response out: allowed always
 * (the webhook's `failurePolicy: Ignore` and this both keep a broken injector from blocking pods), with a
 * base64 JSONPatch when the pod is to be injected.
 */

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: {
    uid: string;
    kind?: { group: string; version: string; kind: string };
    namespace?: string;
    object?: unknown;
    [k: string]: unknown;
  };
  response?: {
    uid: string;
    allowed: boolean;
    patchType?: 'JSONPatch';
    patch?: string;
    warnings?: string[];
    status?: { message: string };
  };
}

export class AdmissionError extends Error {}

export interface AdmitOptions {
  config: (namespace: string) => ProxyInjectConfig;
  /** the annotations of a namespace (undefined: unknown or none) */
  namespaceAnnotations: (namespace: string) => Promise<Record<string, string> | undefined>;
}

/** Check the review's shape (an error names the field) and answer it. */
export async function admit(body: unknown, options: AdmitOptions): Promise<AdmissionReview> {
  const review = body as AdmissionReview;
  if (typeof body !== 'object' || body === null || review.kind !== 'AdmissionReview')
    throw new AdmissionError('kind: wanted AdmissionReview');
  if (review.apiVersion !== 'admission.k8s.io/v1') throw new AdmissionError('apiVersion: wanted admission.k8s.io/v1');
  const request = review.request;
  if (!request || typeof request.uid !== 'string') throw new AdmissionError('request.uid: wanted a string');
  const answer = (response: Omit<NonNullable<AdmissionReview['response']>, 'uid' | 'allowed'>): AdmissionReview => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: request.uid, allowed: true, ...response },
  });
  const pod = request.object as PodLike | undefined;
  if (request.kind && request.kind.kind !== 'Pod')
    return answer({ warnings: [`weir injector: not a Pod (${request.kind.kind})`] });
  if (!pod || typeof pod !== 'object' || !Array.isArray(pod.spec?.containers))
    throw new AdmissionError('request.object.spec.containers: wanted a Pod with containers');
  const namespace =
    request.namespace ??
    ((pod.metadata as { namespace?: string } | undefined)?.namespace as string | undefined) ??
    'default';
  if (isInjected(pod)) return answer({});
  const decision = injectionDecision(pod.metadata?.annotations, await options.namespaceAnnotations(namespace));
  if (!decision.inject) return answer({});
  const injected = injectPod(pod, options.config(namespace));
  const patch = jsonpatch.compare(pod, injected);
  return answer({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
}
