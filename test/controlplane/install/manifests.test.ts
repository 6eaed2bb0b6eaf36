import { describe, expect, it } from 'vitest';
import { customResourceDefinitions } from '../../../controlplane/install/crds.js';
import { installManifests } from '../../../controlplane/install/manifests.js';
import { controllerRules } from '../../../controlplane/install/rbac.js';
import { k8sSchemaError } from './validate-k8s.js';

const opts = { namespace: 'weir', image: 'ghcr.io/weir-dev/weir:0.1.0', version: '0.1.0' };
const cert = { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: 'k' };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Kubernetes' structural-schema rules (apiextensions): where a schema node breaks one, the path and rule. */
function structuralProblems(node: Obj, path: string, out: string[]): string[] {
  for (const banned of [
    '$ref',
    '$schema',
    '$defs',
    'anyOf',
    'oneOf',
    'allOf',
    'not',
    'const',
    'propertyNames',
    'default',
  ])
    if (banned in node) out.push(`${path}: has ${banned}`);
  const typed =
    typeof node.type === 'string' ||
    node['x-kubernetes-int-or-string'] === true ||
    node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) out.push(`${path}: has no type`);
  if (node.properties && node.additionalProperties !== undefined)
    out.push(`${path}: properties with additionalProperties`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties: false`);
  if (node.type === 'array' && !node.items) out.push(`${path}: array without items`);
  if (typeof node.exclusiveMinimum === 'number') out.push(`${path}: numeric exclusiveMinimum`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Obj))
    structuralProblems(v as Obj, `${path}.${k}`, out);
  if (node.items) structuralProblems(node.items as Obj, `${path}[]`, out);
  if (node.additionalProperties && typeof node.additionalProperties === 'object')
    structuralProblems(node.additionalProperties as Obj, `${path}{}`, out);
  return out;
}

describe('weir install manifests', () => {
  it('validate, every one, against the Kubernetes OpenAPI schemas (kubernetes-models)', async () => {
    const objects = await installManifests(opts, {}, cert);
    expect(objects.length).toBeGreaterThan(20);
    const errors = objects
      .map((o) => [`${o.kind} ${(o.metadata as Obj).name}`, k8sSchemaError(o)])
      .filter(([, e]) => e !== undefined);
    expect(errors).toEqual([]);
  });

  it('a broken manifest does not validate (the validator can fail)', () => {
    expect(
      k8sSchemaError({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two' } }),
    ).toBeDefined();
  });

  it('define CRDs for Flagger kinds and the policy.linkerd.io kinds, no Gateway API CRD', () => {
    const crdNames = customResourceDefinitions().map((c) => (c.metadata as Obj).name as string);
    expect(crdNames).toEqual(
      expect.arrayContaining([
        'canaries.flagger.app',
        'metrictemplates.flagger.app',
        'alertproviders.flagger.app',
        'servers.policy.linkerd.io',
        'authorizationpolicies.policy.linkerd.io',
        'meshtlsauthentications.policy.linkerd.io',
        'networkauthentications.policy.linkerd.io',
      ]),
    );
    expect(crdNames.filter((n) => n.endsWith('gateway.networking.k8s.io'))).toEqual([]);
  });

  it('CRD schemas are structural (typed nodes, no $ref/anyOf/const, no properties next to additionalProperties)', () => {
    for (const crd of customResourceDefinitions()) {
      for (const v of (crd.spec as Obj).versions as Obj[]) {
        expect(structuralProblems(v.schema.openAPIV3Schema as Obj, (crd.metadata as Obj).name as string, [])).toEqual(
          [],
        );
      }
    }
  });

  it("the Canary CRD has Flagger's printer columns, category all and the status subresource", () => {
    const canary = customResourceDefinitions().find((c) => (c.metadata as Obj).name === 'canaries.flagger.app')!;
    const v = ((canary.spec as Obj).versions as Obj[])[0]!;
    expect((v.additionalPrinterColumns as Obj[]).map((c) => c.name)).toEqual([
      'Status',
      'Weight',
      'Suspended',
      'FailedChecks',
      'Interval',
      'Mirror',
      'StepWeight',
      'StepWeights',
      'MaxWeight',
      'LastTransitionTime',
    ]);
    expect(v.subresources).toEqual({ status: {} });
    expect((canary.spec as Obj).names.categories).toEqual(['all']);
    const spec = v.schema.openAPIV3Schema.properties.spec as Obj;
    expect(spec.properties.targetRef.required).toEqual(['apiVersion', 'kind', 'name']);
    expect(spec.properties.service.properties.targetPort).toEqual({ 'x-kubernetes-int-or-string': true });
  });

  it('--controller-only: the namespace, CRDs, the controller RBAC and Deployment, nothing of the mesh', async () => {
    const objects = await installManifests(opts, { controllerOnly: true }, cert);
    const kinds = objects.map((o) => `${o.kind}/${(o.metadata as Obj).name}`);
    expect(kinds).toContain('Deployment/weir-controller');
    expect(kinds).toContain('ClusterRole/weir-controller');
    expect(kinds.filter((k) => /control-plane|injector|MutatingWebhook/.test(k))).toEqual([]);
  });

  it('--crds-only and --skip-crds split the install', async () => {
    const crds = await installManifests(opts, { crdsOnly: true }, cert);
    expect(new Set(crds.map((o) => o.kind))).toEqual(new Set(['CustomResourceDefinition']));
    const rest = await installManifests(opts, { skipCrds: true }, cert);
    expect(rest.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
  });

  it('the controller may write Canary status but only read MetricTemplates; nobody gets a wildcard', async () => {
    expect(controllerRules).toContainEqual({
      apiGroups: ['flagger.app'],
      resources: ['canaries/status'],
      verbs: ['get', 'update', 'patch'],
    });
    const roles = (await installManifests(opts, {}, cert)).filter((o) => o.kind === 'ClusterRole');
    for (const r of roles)
      for (const rule of r.rules as Obj[]) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
      }
  });

  it('the webhook is Ignore/None/v1, selects on weir.io/inject, and carries the caBundle; Deployments name the image', async () => {
    const objects = await installManifests({ ...opts, image: 'example.com/weir:dev' }, {}, cert);
    const hook = (objects.find((o) => o.kind === 'MutatingWebhookConfiguration')!.webhooks as Obj[])[0]!;
    expect(hook.failurePolicy).toBe('Ignore');
    expect(hook.sideEffects).toBe('None');
    expect(hook.admissionReviewVersions).toEqual(['v1']);
    expect(hook.clientConfig.caBundle).toBe(Buffer.from(cert.cert).toString('base64'));
    expect(JSON.stringify(hook.namespaceSelector)).toContain('weir.io/inject');
    expect(JSON.stringify(hook.objectSelector)).toContain('weir.io/inject');
    const images = objects
      .filter((o) => o.kind === 'Deployment')
      .map((d) => (d.spec as Obj).template.spec.containers[0].image as string);
    expect(images).toEqual(['example.com/weir:dev', 'example.com/weir:dev', 'example.com/weir:dev']);
    const args = objects
      .filter((o) => o.kind === 'Deployment')
      .map((d) => ((d.spec as Obj).template.spec.containers[0].args as string[])[0]);
    expect(args).toEqual(['controller', 'control-plane', 'injector']);
  });

  it('make the identity CA: the issuer Secret the control plane mounts, the trust anchors the injector hands out', async () => {
    const objects = await installManifests(opts, {}, cert);
    const issuer = objects.find((o) => o.kind === 'Secret' && (o.metadata as Obj).name === 'weir-identity-issuer')!;
    const anchors = objects.find(
      (o) => o.kind === 'ConfigMap' && (o.metadata as Obj).name === 'weir-identity-trust-anchors',
    )!;
    const anchorPem = Buffer.from((issuer.data as Obj)['ca.crt'] as string, 'base64').toString();
    expect(anchorPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect((anchors.data as Obj)['ca-bundle.crt']).toBe(anchorPem);
    const deployment = (name: string) =>
      (objects.find((o) => o.kind === 'Deployment' && (o.metadata as Obj).name === name)!.spec as Obj).template.spec;
    const cp = deployment('weir-control-plane');
    expect(cp.containers[0].args).toEqual(
      expect.arrayContaining(['--grpc-host', '0.0.0.0', '--trust-anchor', '--issuer-cert', '--issuer-key']),
    );
    expect(cp.volumes).toEqual([{ name: 'identity', secret: { secretName: 'weir-identity-issuer' } }]);
    expect(deployment('weir-injector').containers[0].args).toContain('--trust-anchors');
  });
});
