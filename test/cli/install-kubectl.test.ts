import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { injectorCert } from '../../controlplane/install/webhook.js';
import { eventually, runWeir, startWeirUp, WEIR_BIN, type WeirUp } from '../support/weir-process.js';

/** the kubectl on PATH (CI installs Debian's), or $KUBECTL */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web }, annotations: { weir.io/inject: enabled } }
    spec:
      containers:
        - name: web
          image: web:1
          ports: [{ containerPort: 8080 }]
`;

describe('weir install, check and the injector against the embedded API (weir up) and kubectl', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let kubeconfig: string;

  const kubectl = (args: string[], input?: string): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      const child = execFile(
        KUBECTL,
        args,
        { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trimEnd() }),
      );
      child.stdin!.end(input ?? '');
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-install-'));
    await writeFile(
      join(dir, 'shop.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, annotations: { weir.io/inject: enabled } }\n',
    );
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state'), '--no-controller', '--no-dashboard']);
    kubeconfig = await eventually('weir up to print the kubeconfig', 20_000, async () =>
      Promise.resolve(/export KUBECONFIG=(\S+)/.exec(up!.output())?.[1]),
    );
  }, 90_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('weir check --pre: API, version, permissions (or why not), Gateway API; exit 0', async () => {
    const r = await runWeir(['check', '--pre', '--kubeconfig', kubeconfig]);
    expect(r.stdout).toMatch(/^√ can reach the Kubernetes API at http/m);
    expect(r.stdout).toMatch(/^√ Kubernetes version is v1\./m);
    expect(r.stdout).toMatch(/^(√ can create|‼ cannot check whether you can create) CustomResourceDefinitions/m);
    expect(r.stdout).toMatch(/^(√|‼) Gateway API CRDs are/m);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 60_000);

  it('weir check before installing fails, line by line, exit 1', async () => {
    const r = await runWeir(['check'], { KUBECONFIG: kubeconfig });
    expect(r.stdout).toContain('× CustomResourceDefinition canaries.flagger.app is not installed');
    expect(r.stdout).toContain('× weir-controller Deployment is not available: not found in namespace weir');
    expect(r.code).toBe(1);
  }, 60_000);

  it('weir install | kubectl apply --dry-run=client is clean; the CRDs apply for real; check then passes them', async () => {
    const all = await runWeir(['install']);
    expect(all.code, all.stderr).toBe(0);
    const dry = await kubectl(['apply', '--dry-run=client', '-f', '-'], all.stdout);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toContain('customresourcedefinition.apiextensions.k8s.io/canaries.flagger.app created (dry run)');
    expect(dry.out).toContain(
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/weir-proxy-injector created (dry run)',
    );
    expect(dry.out).not.toMatch(/error|warning/i);

    const crds = await runWeir(['install', '--crds-only']);
    const applied = await kubectl(['apply', '-f', '-'], crds.stdout);
    expect(applied.code, applied.out).toBe(0);
    const got = await kubectl(['get', 'crd', 'canaries.flagger.app', '-o', 'yaml']);
    expect(got.code, got.out).toBe(0);
    expect((parse(got.out) as Obj).spec.versions[0].additionalPrinterColumns[0]).toEqual({
      name: 'Status',
      type: 'string',
      jsonPath: '.status.phase',
    });
    // the webhook configuration, for real too (the Deployments would be run as local processes here)
    const hook = parseAllDocuments(all.stdout)
      .map((d) => d.toJS() as Obj)
      .filter((o) => o.kind === 'MutatingWebhookConfiguration');
    expect((await kubectl(['apply', '-f', '-'], JSON.stringify(hook[0]))).code).toBe(0);

    const check = await runWeir(['check', '--kubeconfig', kubeconfig]);
    expect(check.stdout).toContain('√ CustomResourceDefinition canaries.flagger.app is installed');
    expect(check.stdout).toContain('√ MutatingWebhookConfiguration weir-proxy-injector is present with a caBundle');
    expect(check.stdout).toContain('× weir-control-plane Deployment is not available');
    expect(check.code).toBe(1);
  }, 120_000);

  it("the webhook's injection equals weir inject on the same Deployment", async () => {
    const cert = await injectorCert('weir');
    await writeFile(join(dir, 'tls.crt'), cert.cert);
    await writeFile(join(dir, 'tls.key'), cert.key);
    await writeFile(join(dir, 'anchors.pem'), cert.cert);
    await writeFile(join(dir, 'web.yaml'), deployment);
    const offline = await runWeir(['inject', '-f', join(dir, 'web.yaml'), '--trust-anchors', join(dir, 'anchors.pem')]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toContain('deployment "web" injected');
    const injectedTemplate = (parse(offline.stdout) as Obj).spec.template;

    const injector: ChildProcess = spawn(
      process.execPath,
      [
        WEIR_BIN,
        'injector',
        '--tls-cert',
        join(dir, 'tls.crt'),
        '--tls-key',
        join(dir, 'tls.key'),
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--trust-anchors',
        join(dir, 'anchors.pem'),
        '--kubeconfig',
        kubeconfig,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    injector.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    injector.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await eventually('weir injector to listen', 30_000, async () =>
        Promise.resolve(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]),
      );
      const post = (body: unknown) =>
        new Promise<Obj>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: Number(port),
              path: '/inject',
              method: 'POST',
              ca: cert.cert,
              servername: 'weir-injector.weir.svc',
              headers: { 'content-type': 'application/json' },
              timeout: 20_000,
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(JSON.parse(text) as Obj));
            },
          );
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('the injector did not answer in 20 s')));
          req.end(JSON.stringify(body));
        });
      const template = (parse(deployment) as Obj).spec.template as Obj;
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, namespace: 'shop' },
        spec: template.spec,
      };
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', object: pod },
      };
      const answer = await post(review);
      expect(answer.response).toMatchObject({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
      const patch = JSON.parse(
        Buffer.from(answer.response.patch as string, 'base64').toString('utf8'),
      ) as jsonpatch.Operation[];
      const patched = jsonpatch.applyPatch(structuredClone(pod), patch, true, false).newDocument as Obj;
      expect(patched.spec).toEqual(injectedTemplate.spec);
      const { namespace: _ns, ...meta } = patched.metadata as Obj;
      expect(meta).toEqual(injectedTemplate.metadata);

      // a pod annotated disabled is admitted unchanged
      const disabled = {
        ...review,
        request: { ...review.request, object: { ...pod, metadata: { annotations: { 'weir.io/inject': 'disabled' } } } },
      };
      const plain = await post(disabled);
      expect(plain.response).toEqual({ uid: 'u-1', allowed: true });

      // a pod without annotation: its namespace (annotated enabled, read from the API) decides; elsewhere not injected
      const bare = { ...pod, metadata: { labels: { app: 'web' } } };
      const inShop = await post({ ...review, request: { ...review.request, object: bare } });
      expect(inShop.response.patchType).toBe('JSONPatch');
      const inDefault = await post({ ...review, request: { ...review.request, namespace: 'default', object: bare } });
      expect(inDefault.response).toEqual({ uid: 'u-1', allowed: true });
    } finally {
      injector.kill('SIGTERM');
      await new Promise((r) => (injector.exitCode !== null ? r(null) : injector.once('exit', r)));
    }
  }, 120_000);
});
