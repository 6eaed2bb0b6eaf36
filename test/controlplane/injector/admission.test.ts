import { describe, expect, it } from 'vitest';
import jsonpatch from 'fast-json-patch';
import { admit, AdmissionError } from '../../../controlplane/injector/admission.js';

const options = {
  config: () => ({ image: 'weir:1', version: '1', controlPlane: 'cp.weir.svc:8086' }),
  namespaceAnnotations: (ns: string) =>
    Promise.resolve(ns === 'meshed' ? { 'linkerd.io/inject': 'enabled' } : undefined),
};
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { labels: { a: 'b' } },
  spec: { containers: [{ name: 'app', image: 'app' }] },
};
const review = (namespace: string, object: unknown = pod) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace, object },
});

describe('the admission review of the injector', () => {
  it('patches a pod of an annotated namespace (linkerd.io/inject alias), with a patch that applies', async () => {
    const r = await admit(review('meshed'), options);
    expect(r.response).toMatchObject({ uid: 'u', allowed: true, patchType: 'JSONPatch' });
    const ops = JSON.parse(Buffer.from(r.response!.patch!, 'base64').toString()) as jsonpatch.Operation[];
    const out = jsonpatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as typeof pod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app', 'weir-proxy']);
  });

  it('allows without a patch: other namespaces, already injected pods', async () => {
    expect((await admit(review('plain'), options)).response).toEqual({ uid: 'u', allowed: true });
    const injected = { ...pod, spec: { containers: [...pod.spec.containers, { name: 'weir-proxy', image: 'x' }] } };
    expect((await admit(review('meshed', injected), options)).response).toEqual({ uid: 'u', allowed: true });
  });

  it('refuses a malformed review, naming the field', async () => {
    await expect(admit({ kind: 'Pod' }, options)).rejects.toThrow(AdmissionError);
    await expect(admit({ ...review('x'), apiVersion: 'admission.k8s.io/v1beta1' }, options)).rejects.toThrow(
      /apiVersion/,
    );
    await expect(admit(review('x', { spec: {} }), options)).rejects.toThrow(/request\.object\.spec\.containers/);
  });
});
