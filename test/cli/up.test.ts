import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcConfigSource } from '../../proxy/control/grpc-config-source.js';
import { SAMPLE_APP, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

interface PodLike {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

function manifests(webPort: number, externalPort: number, endpointPort: number, version: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: test }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "${version}" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: test }
spec:
  selector: { app: web }
  ports: [{ name: http, port: ${webPort}, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: external, namespace: test }
spec:
  ports: [{ name: http, port: ${externalPort} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: external-1, namespace: test, labels: { kubernetes.io/service-name: external } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1] }]
ports: [{ name: http, port: ${endpointPort} }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: test }
spec:
  parentRefs: [{ group: core, kind: Service, name: web, port: ${webPort} }]
  rules:
    - matches: [{ headers: [{ name: x-target, value: external }] }]
      backendRefs: [{ name: external, port: ${externalPort} }]
    - backendRefs: [{ name: web, port: ${webPort} }]
`;
}

describe('weir up', () => {
  let dir: string;
  /** files given to `weir apply`, outside the watched manifests folder */
  let scratch: string;
  let up: WeirUp | undefined;
  let external: Server;
  let webPort: number;
  let externalPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-up-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-up-apply-'));
    external = createServer((req, res) => res.end(`external saw ${req.url}`));
    await new Promise<void>((r) => external.listen(0, '127.0.0.1', r));
    const endpointPort = (external.address() as { port: number }).port;
    webPort = await freePort();
    externalPort = await freePort();
    await writeFile(join(dir, 'app.yaml'), manifests(webPort, externalPort, endpointPort, '1.0.0'));
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')]);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await new Promise((r) => external.close(r));
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('serves a Service port through the mesh once its pods are ready', async () => {
    const r = await eventually('web to answer', 30_000, async () => {
      const x = await get(`http://127.0.0.1:${webPort}/`);
      return x.status === 200 ? x : undefined;
    });
    expect(r.headers.get('x-version')).toBe('1.0.0');
    expect(JSON.parse(r.body)).toMatchObject({ version: '1.0.0' });
  });

  it('announces the control plane after its other lines, and serves the mesh over gRPC there', async () => {
    const line = await eventually(
      'the control plane line',
      10_000,
      async () => /^control plane: grpc:\/\/(127\.0\.0\.1:\d+)$/m.exec(up!.output()) ?? undefined,
    );
    const lines = up!.output().split('\n');
    const at = lines.indexOf(line[0]);
    expect(at).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith('service ')));
    const source = new GrpcConfigSource({ address: line[1]! });
    try {
      await source.ready();
      const names = source.current().services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
      expect(names).toEqual(expect.arrayContaining(['test/web', 'test/external']));
      expect(source.current().httpRoutes.map((r) => r.metadata.name)).toEqual(['web']);
    } finally {
      source.close();
    }
  });

  it('routes a selector-less Service to its EndpointSlice addresses', async () => {
    const r = await get(`http://127.0.0.1:${externalPort}/hello?x=1`);
    expect(r.body).toBe('external saw /hello?x=1');
  });

  it('applies the HTTPRoute attached to the Service (header match)', async () => {
    const r = await get(`http://127.0.0.1:${webPort}/from-route`, { 'x-target': 'external' });
    expect(r.body).toBe('external saw /from-route');
  });

  it('records golden metrics with Linkerd names on each sidecar admin port', async () => {
    const pods = JSON.parse((await runWeir(['get', 'pods', '-n', 'test', '-o', 'json', '--api', up!.api])).stdout) as {
      items: PodLike[];
    };
    const web = pods.items.filter((p) => p.metadata.labels?.app === 'web');
    expect(web.length).toBe(2);
    for (let i = 0; i < 10; i++) await get(`http://127.0.0.1:${webPort}/`);
    let total = 0;
    for (const p of web) {
      const admin = p.metadata.annotations?.['weir.dev/admin-port'];
      const text = (await get(`http://127.0.0.1:${admin}/metrics`)).body;
      for (const line of text.split('\n')) {
        if (
          line.startsWith('request_total{') &&
          line.includes('direction="inbound"') &&
          line.includes('deployment="web"')
        ) {
          total += Number(line.split(' ').pop());
        }
      }
    }
    expect(total).toBeGreaterThanOrEqual(10);
  });

  it('get and apply talk to the running instance; apply rolls the Deployment to a new version', async () => {
    const list = await runWeir(['get', 'services', '-A', '--api', up!.api]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/test\s+external/);
    expect(list.stdout).toMatch(/test\s+web/);

    const missing = await runWeir(['get', 'canary', 'nope', '-n', 'test', '-o', 'json', '--api', up!.api]);
    expect(missing.code).not.toBe(0);

    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, manifests(webPort, externalPort, 1, '2.0.0').split('---')[0]!);
    const applied = await runWeir(['apply', '-f', v2], { WEIR_API: up!.api });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('deployment.apps/web configured');
    await eventually('v2 to serve', 40_000, async () => {
      const r = await get(`http://127.0.0.1:${webPort}/`);
      return r.headers.get('x-version') === '2.0.0' ? true : undefined;
    });
  });

  it('applies a file holding a Namespace, ServiceAccount, ConfigMap, HPA and a Canary whole', async () => {
    const file = join(scratch, 'whole.yaml');
    await writeFile(
      file,
      `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: web, namespace: shop }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web, namespace: shop }
data: { greeting: hello }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: shop }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }, minReplicas: 1, maxReplicas: 3 }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: web, namespace: shop }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  service: { port: 9898 }
  analysis: { interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10 }
`,
    );
    const r = await runWeir(['apply', '-f', file, '--api', up!.api]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'namespace/shop created',
      'serviceaccount/web created',
      'configmap/web created',
      'horizontalpodautoscaler.autoscaling/web created',
      'canary.flagger.app/web created',
    ]);
    // an HPA is interpreted (the local runtime scales on it): no notice
    expect(r.stderr).not.toContain('HorizontalPodAutoscaler is stored and served');
    const hpa = await get(`${up!.api}/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web`);
    expect(JSON.parse(hpa.body)).toMatchObject({ spec: { maxReplicas: 3 } });

    // applied again as it is: unchanged; a ConfigMap whose data changed (no spec, no generation): configured
    const again = await runWeir(['apply', '-f', file, '--api', up!.api]);
    expect(again.stdout).toContain('configmap/web unchanged');
    expect(again.stdout).toContain('canary.flagger.app/web unchanged');
    await writeFile(file, (await readFile(file, 'utf8')).replace('greeting: hello', 'greeting: bonjour'));
    const changed = await runWeir(['apply', '-f', file, '--api', up!.api]);
    expect(changed.stdout).toContain('configmap/web configured');
    expect(changed.stdout).toContain('namespace/shop unchanged');
  });

  it('rejects an invalid apply with the field path and changes nothing', async () => {
    const bad = join(scratch, 'bad.yaml');
    await writeFile(
      bad,
      'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: test }\nspec: { ports: [{ port: 0 }] }\n',
    );
    const r = await runWeir(['apply', '-f', bad, '--api', up!.api]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}[1] spec.ports[0].port`);
    expect((await get(`http://127.0.0.1:${webPort}/`)).status).toBe(200);
  });

  it('reports a malformed file dropped into the folder and keeps the running config', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata: { name: broken, namespace: test }\nspec: { ports: [{ port: "x" }] }\n',
    );
    const rejected = await eventually('the rejection to be reported', 10_000, async () => {
      const r = (await (await fetch(`${up!.api}/weir/v1/rejected`)).json()) as {
        items: Array<{ file: string; doc: number; path: string }>;
      };
      return r.items.find((e) => e.file === 'broken.yaml');
    });
    expect(rejected).toMatchObject({ doc: 1, path: 'spec.ports[0].port' });
    expect((await get(`http://127.0.0.1:${webPort}/`)).status).toBe(200);
  });

  it('stops every process it started on SIGTERM', async () => {
    const pods = JSON.parse((await runWeir(['get', 'pods', '-A', '-o', 'json', '--api', up!.api])).stdout) as {
      items: PodLike[];
    };
    const appPorts = pods.items.map((p) => Number(p.metadata.annotations?.['weir.dev/app-port']));
    expect(appPorts.length).toBeGreaterThan(0);
    const code = await up!.stop();
    up = undefined;
    expect(code).toBe(0);
    expect(await refuses(webPort)).toBe(true);
    for (const port of appPorts) expect(await refuses(port)).toBe(true);
  });
});
