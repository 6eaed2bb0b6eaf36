import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectionDecision, injectPod, uninjectPod, type PodLike } from '../../../controlplane/injector/inject.js';
import { transformManifests } from '../../../controlplane/injector/manifests.js';
import { k8sSchemaError } from '../install/validate-k8s.js';

const config = {
  image: 'ghcr.io/weir-dev/weir:0.1.0',
  version: '0.1.0',
  controlPlane: 'weir-control-plane.weir.svc:8086',
  trustAnchorsPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

const pod = (): PodLike => ({
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: '1' }] }],
  },
});

describe('sidecar injection', () => {
  it('adds weir-proxy with the control plane, the downward-API pod name, the token volume and a /ready probe', () => {
    const out = injectPod(pod(), config);
    const proxy = out.spec.containers.find((c) => c.name === 'weir-proxy')!;
    const script = (proxy.command as string[])[2]!;
    expect(script).toContain('exec weir proxy --control-plane weir-control-plane.weir.svc:8086 --app-port 8080');
    expect(script).toContain('--pod "$POD_NAME" --namespace "$POD_NAMESPACE"');
    expect(script).toContain('--identity-token-file /var/run/secrets/weir.io/identity/token');
    expect(proxy.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(proxy.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 4191 } });
    expect(JSON.stringify(out.spec.volumes)).toContain('"audience":"identity.weir.io"');
    expect(out.spec.initContainers![0]!.command).toEqual(
      'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 4143'.split(' '),
    );
    expect(out.metadata!.annotations!['weir.io/proxy-version']).toBe('0.1.0');
    expect(out.spec.containers[0]!.env).toContainEqual({ name: 'HTTP_PROXY', value: 'http://127.0.0.1:4140' });
  });

  it('the injected pod validates against the Kubernetes Pod schema', () => {
    const out = injectPod(pod(), config);
    expect(
      k8sSchemaError({ apiVersion: 'v1', kind: 'Pod', ...out, metadata: { name: 'p', ...out.metadata } }),
    ).toBeUndefined();
  });

  it('is idempotent: an injected pod comes back unchanged', () => {
    const once = injectPod(pod(), config);
    expect(injectPod(once, config)).toEqual(once);
  });

  it('uninject(inject(x)) == x, with and without ports, env, annotations, identity', () => {
    const bare: PodLike = { spec: { containers: [{ name: 'job', image: 'job:1' }] } };
    const full: PodLike = {
      metadata: { annotations: { keep: 'me' } },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'a',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'HTTP_PROXY', value: 'http://corp:3128' }],
          },
        ],
        initContainers: [{ name: 'migrate', image: 'm' }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    };
    for (const p of [pod(), bare, full]) {
      expect(uninjectPod(injectPod(p, config))).toEqual(p);
      const { trustAnchorsPem: _none, ...plain } = config;
      expect(uninjectPod(injectPod(p, plain))).toEqual(p);
    }
    // a container's own HTTP_PROXY is kept, and no init container without an app port
    expect(injectPod(full, config).spec.containers[0]!.env).toEqual([
      { name: 'HTTP_PROXY', value: 'http://corp:3128' },
    ]);
    expect(injectPod(bare, config).spec.initContainers).toBeUndefined();
  });

  it('decides by the pod annotation, then the namespace; disabled on the pod wins; linkerd.io/inject is an alias', () => {
    const on = { 'weir.io/inject': 'enabled' };
    const off = { 'weir.io/inject': 'disabled' };
    expect(injectionDecision(undefined, on).inject).toBe(true);
    expect(injectionDecision(on, undefined).inject).toBe(true);
    expect(injectionDecision(off, on).inject).toBe(false);
    expect(injectionDecision(undefined, undefined).inject).toBe(false);
    expect(injectionDecision({ 'linkerd.io/inject': 'enabled' }, undefined).inject).toBe(true);
    expect(injectionDecision({ 'linkerd.io/inject': 'disabled' }, { 'linkerd.io/inject': 'enabled' }).inject).toBe(
      false,
    );
  });

  it('a bad weir.io/app-port is an error naming the annotation', () => {
    const p = pod();
    p.metadata!.annotations = { 'weir.io/app-port': 'http' };
    expect(() => injectPod(p, config)).toThrow(/weir\.io\/app-port.*wanted a port/);
  });
});

describe('weir inject / uninject over manifests', () => {
  const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: web:1, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: { name: db }
    spec:
      serviceName: db
      selector: { matchLabels: { app: db } }
      template:
        metadata: { labels: { app: db }, annotations: { weir.io/inject: disabled } }
        spec: { containers: [{ name: db, image: db:1 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 80 }] }
`;

  it('injects workloads (also in Lists), skips disabled ones, leaves other kinds, and uninject restores the input', () => {
    const r = transformManifests(manifests, 'app.yaml', 'inject', config);
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([
      'deployment "web" injected',
      'statefulset "db" skipped: annotated weir.io/inject: disabled',
    ]);
    const docs = parseAllDocuments(r.yaml).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(docs[0]!.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web', 'weir-proxy']);
    for (const d of docs.filter((x) => x.kind !== 'List')) expect(k8sSchemaError(d)).toBeUndefined();
    const back = transformManifests(r.yaml, 'injected.yaml', 'uninject', config);
    expect(parseAllDocuments(back.yaml).map((d) => d.toJS())).toEqual(
      parseAllDocuments(manifests).map((d) => d.toJS()),
    );
  });

  it('a workload without containers is an error naming the document and field', () => {
    const r = transformManifests(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {}}}\n',
      'bad.yaml',
      'inject',
      config,
    );
    expect(r.errors).toEqual(['bad.yaml[0]: spec.template.spec.containers: wanted a list of containers']);
  });
});
