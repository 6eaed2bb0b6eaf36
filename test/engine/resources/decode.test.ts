import { describe, expect, it } from 'vitest';
import {
  decodeResource,
  formatResourceError,
  kindByPlural,
  kinds,
  parseManifests,
} from '../../../engine/resources/index.js';

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  ports: [{ port: 80 }]
`;

const badCanary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898 }
  analysis: { interval: 1m, threshold: 5, stepWeight: ten }
`;

describe('parseManifests', () => {
  it('reads a multi-document file whole: good documents returned, the bad one reported', () => {
    const r = parseManifests(`${service('a')}---\n${badCanary}---\n${service('b')}`, 'canary.yaml');
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(r.errors.map(formatResourceError)).toEqual([
      'canary.yaml[2] spec.analysis.stepWeight: expected a number, got "ten"',
    ]);
  });

  it('numbers documents from 1, counting empty ones, which are skipped', () => {
    const r = parseManifests(`---\n# only a comment\n---\n${service('a')}---\n---\nkind: Gatewey\n`, 'x.yaml');
    expect(r.objects).toHaveLength(1);
    expect(r.errors.map(formatResourceError)).toEqual([
      'x.yaml[4] kind: unknown kind "Gatewey": Weir reads AlertProvider, AuthorizationPolicy, Canary, ConfigMap, DaemonSet, Deployment, EgressNetwork, EndpointSlice, Event, GRPCRoute, HTTPLocalRateLimitPolicy, HTTPRoute, HorizontalPodAutoscaler, MeshTLSAuthentication, MetricTemplate, Namespace, NetworkAuthentication, Pod, Secret, Server, Service, StatefulSet, TCPRoute, TLSRoute, and stores other kinds when their apiVersion names a group of their own (example.com/v1)',
    ]);
  });

  it('keeps kinds it does not interpret (Namespace, ServiceAccount, PodDisruptionBudget, a CRD of another group), with a notice', () => {
    const r = parseManifests(
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: test }\n',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: podinfo }\n',
        'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: podinfo }\nspec: { maxUnavailable: 4 }\n',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: 3 }\n',
      ].join('---\n'),
      'app.yaml',
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Namespace//test',
      'ServiceAccount/default/podinfo',
      'PodDisruptionBudget/default/podinfo',
      'Widget/default/w',
    ]);
    expect(r.objects[2]).toMatchObject({ spec: { maxUnavailable: 4 } });
    expect(r.warnings).toContain('app.yaml[3]: PodDisruptionBudget is stored and served; Weir does not act on it');
    expect(kindByPlural('example.com', 'widgets')?.kind).toBe('Widget');
  });

  it('reports an unknown kind of a group Weir knows whole (a typo) rather than storing it', () => {
    const r = parseManifests('apiVersion: v1\nkind: Sevice\nmetadata: { name: podinfo }\n', 'svc.yaml');
    expect(r.objects).toEqual([]);
    expect(r.errors[0]).toMatchObject({ file: 'svc.yaml', doc: 1, path: 'kind' });
    expect(r.errors[0]?.message).toMatch(/^unknown kind "Sevice": Weir reads /);
  });

  it('reports a YAML syntax error against its document and keeps the others', () => {
    const r = parseManifests(`${service('a')}---\nkind: [unclosed\n`, 'broken.yaml');
    expect(r.objects).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(formatResourceError(r.errors[0]!)).toMatch(/^broken\.yaml\[2\]: YAML: /);
  });

  it('accepts JSON', () => {
    const r = parseManifests(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }));
    expect(r.errors).toEqual([]);
    expect(r.objects[0]?.kind).toBe('ConfigMap');
  });

  it('without a file name, errors name the document only', () => {
    const r = parseManifests(`${service('a')}---\n${badCanary}`);
    expect(r.errors.map(formatResourceError)).toEqual(['[2] spec.analysis.stepWeight: expected a number, got "ten"']);
  });

  it('reports every error of a document', () => {
    const r = parseManifests(
      'apiVersion: v1\nkind: Service\nmetadata: { name: Bad_Name }\nspec: { ports: [{ port: 0 }] }\n',
      'svc.yaml',
    );
    expect(r.errors.map(formatResourceError)).toEqual([
      'svc.yaml[1] metadata.name: expected a lowercase DNS subdomain name, got "Bad_Name"',
      'svc.yaml[1] spec.ports[0].port: expected a value >= 1, got 0',
    ]);
  });
});

describe('decodeResource', () => {
  it.each([
    ['a list', [1], ': expected a Kubernetes object, got a list'],
    ['a string', 'hello', ': expected a Kubernetes object, got "hello"'],
    ['no kind', { apiVersion: 'v1' }, ' kind: required: expected a string'],
    ['a non-string kind', { kind: 3 }, ' kind: expected a string, got 3'],
    ['an inherited property as kind', { kind: 'toString' }, ' kind: unknown kind "toString": Weir reads'],
    ['no metadata', { apiVersion: 'v1', kind: 'ConfigMap' }, ' metadata: required: expected an object'],
    [
      'the wrong apiVersion',
      { apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'c' } },
      ' apiVersion: expected "v1", got "v2"',
    ],
  ])('rejects %s', (_name, raw, message) => {
    const r = decodeResource(raw, { file: 'f.yaml', doc: 3 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatResourceError(r.errors[0]!).startsWith(`f.yaml[3]${message}`)).toBe(true);
  });

  it('applies defaults and keeps unknown fields', () => {
    const r = decodeResource({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, extra: 1 });
    expect(r.ok && r.object).toMatchObject({ type: 'Opaque', metadata: { namespace: 'default' }, extra: 1 });
  });
});

describe('registry', () => {
  it.each([
    ['flagger.app', 'canaries', 'Canary'],
    ['flagger.app', 'metrictemplates', 'MetricTemplate'],
    ['flagger.app', 'alertproviders', 'AlertProvider'],
    ['gateway.networking.k8s.io', 'httproutes', 'HTTPRoute'],
    ['gateway.networking.k8s.io', 'grpcroutes', 'GRPCRoute'],
    ['', 'services', 'Service'],
    ['', 'configmaps', 'ConfigMap'],
    ['', 'secrets', 'Secret'],
    ['', 'pods', 'Pod'],
    ['discovery.k8s.io', 'endpointslices', 'EndpointSlice'],
    ['apps', 'deployments', 'Deployment'],
  ])('%s/%s is %s', (group, plural, kind) => {
    expect(kindByPlural(group, plural)?.kind).toBe(kind);
    expect(kinds[kind]?.plural).toBe(plural);
  });
});

describe('parseManifests: a kind: List (kubectl get -o json) is read item by item', () => {
  it('returns every good item and names a bad one by its index in the list', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'x' }, spec: { ports: [{ port: 80 }] } },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'b', namespace: 'x' },
          spec: { ports: [{ port: 'eighty' }] },
        },
      ],
    });
    const r = parseManifests(list, 'svc.json');
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['a']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'svc.json', doc: 1 });
    expect(r.errors[0]!.path).toMatch(/^items\[1\]\.spec\.ports/);
  });
});
