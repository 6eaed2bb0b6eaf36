import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, SAMPLE_APP } from '../support/weir-process.js';
import { canaryStatus, getOnce, startWeirUpGroup, waitFor, type GroupProcess } from './canary-fixtures.js';

/** the sample app as a pod template (VERSION 1.0.0) */
const podTemplate = (app: string) => `
    metadata: { labels: { app: ${app} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "1.0.0" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }`;

const serviceAndCanary = (port: number, kind: string, analysis: string) => `
---
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: apps/v1, kind: ${kind}, name: podinfo }
  progressDeadlineSeconds: 60
  service:
    port: ${port}
    targetPort: 9898
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${port} }]
  analysis: ${analysis}
`;

interface PodList {
  items: Array<{ metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }>;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function phase(api: string, canary: string): Promise<string | undefined> {
  const c = await getJson<{ status?: { phase?: string } }>(
    `${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/${canary}`,
  );
  return c.status?.phase;
}

async function podNames(api: string, app: string): Promise<string[]> {
  const r = await getJson<PodList>(`${api}/api/v1/namespaces/test/pods`);
  return r.items
    .filter((p) => p.metadata.labels?.app === app)
    .map((p) => p.metadata.name)
    .sort();
}

/** read-modify-write of an object through the API (a 409 from another writer is retried) */
async function update(url: string, change: (o: Record<string, unknown>) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const o = await getJson<Record<string, unknown>>(url);
    delete o.status;
    change(o);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(o),
      signal: AbortSignal.timeout(5_000),
    });
    if (put.ok) return;
    if (put.status !== 409 || attempt >= 10) throw new Error(`PUT ${url}: ${put.status} ${await put.text()}`);
  }
}

function setVersion(o: Record<string, unknown>, version: string): void {
  const spec = o.spec as { template: { spec: { containers: Array<{ env?: unknown }> } } };
  spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: version }];
}

/** sequential GETs through the Service port until stopped: versions answered and failures */
function traffic(port: number): { stop(): Promise<{ versions: Map<string, number>; failures: string[] }> } {
  const versions = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await getOnce(`http://127.0.0.1:${port}/`);
        if (r.status !== 200) failures.push(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        else versions.set(r.version ?? '?', (versions.get(r.version ?? '?') ?? 0) + 1);
      } catch (err) {
        failures.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { versions, failures };
    },
  };
}

describe('canary targets other than Deployments, under weir up', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;
  const servers: Server[] = [];

  afterEach(async () => {
    await up?.stop();
    up = undefined;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function start(manifests: string, canary = 'podinfo'): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'weir-targets-'));
    await writeFile(join(dir, 'app.yaml'), manifests);
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state')]);
    const api = up.api;
    await waitFor('Initialized', 45_000, async () => ((await phase(api, canary)) === 'Initialized' ? true : undefined));
    return api;
  }

  it('a StatefulSet canary: pods with stable names, promoted to the -primary StatefulSet, users see no error', async () => {
    const port = await freePort();
    const api = await start(`apiVersion: apps/v1
kind: StatefulSet
metadata: { name: podinfo, namespace: test, labels: { app: podinfo } }
spec:
  replicas: 2
  serviceName: podinfo
  selector: { matchLabels: { app: podinfo } }
  template:${podTemplate('podinfo')}
${serviceAndCanary(port, 'StatefulSet', '{ interval: 1s, threshold: 3, stepWeight: 50, maxWeight: 50 }')}`);
    // the primary's pods, in order, with stable names; the target scaled to zero
    await waitFor('the primary pods', 30_000, async () =>
      (await podNames(api, 'podinfo-primary')).join() === 'podinfo-primary-0,podinfo-primary-1' ? true : undefined,
    );
    await waitFor('the target scaled to zero', 30_000, async () =>
      (await podNames(api, 'podinfo')).length === 0 ? true : undefined,
    );
    await waitFor('v1 to serve', 30_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '1.0.0' ? true : undefined,
    );
    const load = traffic(port);
    const stsUrl = `${api}/apis/apps/v1/namespaces/test/statefulsets/podinfo`;
    await update(stsUrl, (o) => setVersion(o, '2.0.0'));
    const canaryPods = await waitFor('the canary pods', 45_000, async () => {
      const names = await podNames(api, 'podinfo');
      return names.length === 2 ? names : undefined;
    });
    expect(canaryPods).toEqual(['podinfo-0', 'podinfo-1']);
    await waitFor('Succeeded', 90_000, async () =>
      (await canaryStatus(api)).phase === 'Succeeded' ? true : undefined,
    );
    await waitFor('the primary to serve 2.0.0', 30_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '2.0.0' ? true : undefined,
    );
    const { versions, failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(versions.get('2.0.0')).toBeGreaterThan(0);
    const primary = await getJson<{ spec: { replicas: number } }>(
      `${api}/apis/apps/v1/namespaces/test/statefulsets/podinfo-primary`,
    );
    expect(primary.spec.replicas).toBe(2);
    expect(await podNames(api, 'podinfo-primary')).toEqual(['podinfo-primary-0', 'podinfo-primary-1']);
    await waitFor('the target scaled to zero again', 30_000, async () =>
      (await podNames(api, 'podinfo')).length === 0 ? true : undefined,
    );
  }, 240_000);

  it('a DaemonSet canary: one pod on this node, scaled to zero by node selector, promoted', async () => {
    const port = await freePort();
    const api = await start(`apiVersion: apps/v1
kind: DaemonSet
metadata: { name: podinfo, namespace: test, labels: { app: podinfo } }
spec:
  selector: { matchLabels: { app: podinfo } }
  template:${podTemplate('podinfo')}
${serviceAndCanary(port, 'DaemonSet', '{ interval: 1s, threshold: 3, stepWeight: 50, maxWeight: 50 }')}`);
    await waitFor('one primary pod', 30_000, async () =>
      (await podNames(api, 'podinfo-primary')).length === 1 ? true : undefined,
    );
    const dsUrl = `${api}/apis/apps/v1/namespaces/test/daemonsets/podinfo`;
    const ds = await getJson<{ spec: { template: { spec: { nodeSelector?: Record<string, string> } } } }>(dsUrl);
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'flagger.app/scale-to-zero': 'true' });
    await waitFor('the target without pods', 30_000, async () =>
      (await podNames(api, 'podinfo')).length === 0 ? true : undefined,
    );
    const status = await getJson<{ status?: { desiredNumberScheduled?: number } }>(dsUrl);
    expect(status.status?.desiredNumberScheduled).toBe(0);

    const load = traffic(port);
    await update(dsUrl, (o) => setVersion(o, '2.0.0'));
    await waitFor('a canary pod', 45_000, async () =>
      (await podNames(api, 'podinfo')).length === 1 ? true : undefined,
    );
    await waitFor('Succeeded', 90_000, async () =>
      (await canaryStatus(api)).phase === 'Succeeded' ? true : undefined,
    );
    await waitFor('the primary to serve 2.0.0', 30_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '2.0.0' ? true : undefined,
    );
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
    await waitFor('the target scaled to zero again', 30_000, async () =>
      (await podNames(api, 'podinfo')).length === 0 ? true : undefined,
    );
  }, 240_000);

  it('a Service target: weight shifted between two upstream servers outside the mesh, then promoted', async () => {
    const upstream = async (version: string): Promise<number> => {
      const s = createServer((_req, res) => {
        res.writeHead(200, { 'x-version': version, 'content-type': 'text/plain' });
        res.end(`upstream ${version}\n`);
      });
      servers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return (s.address() as { port: number }).port;
    };
    const v1 = await upstream('1.0.0');
    const v2 = await upstream('2.0.0');
    const port = await freePort();
    const api = await start(
      `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: test }
spec:
  ports: [{ name: http, port: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: backend-ext, namespace: test, labels: { kubernetes.io/service-name: backend } }
addressType: IPv4
ports: [{ name: http, port: ${v1} }]
endpoints: [{ addresses: [127.0.0.1] }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: backend, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: v1, kind: Service, name: backend }
  service:
    port: ${port}
    gatewayRefs: [{ group: core, kind: Service, name: backend, port: ${port} }]
  analysis: { interval: 4s, threshold: 3, stepWeight: 50, maxWeight: 50 }
`,
      'backend',
    );
    const weightsOf = async (): Promise<[number, number] | undefined> => {
      const r = await getJson<{ spec: { rules: Array<{ backendRefs?: Array<{ name: string; weight?: number }> }> } }>(
        `${api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/backend`,
      ).catch(() => undefined);
      const refs = r?.spec.rules[0]?.backendRefs ?? [];
      const w = (n: string) => refs.find((b) => b.name === n)?.weight;
      const p = w('backend-primary');
      const c = w('backend-canary');
      return p === undefined || c === undefined ? undefined : [p, c];
    };
    expect(await weightsOf()).toEqual([100, 0]);
    await waitFor('v1 through the Service', 30_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '1.0.0' ? true : undefined,
    );
    // the upstream moves: the EndpointSlice now names v2's port
    await update(`${api}/apis/discovery.k8s.io/v1/namespaces/test/endpointslices/backend-ext`, (o) => {
      o.ports = [{ name: 'http', port: v2 }];
    });
    await waitFor('weight 50', 45_000, async () => ((await weightsOf())?.[1] === 50 ? true : undefined));
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await getOnce(`http://127.0.0.1:${port}/`)).version ?? '?');
    expect([...seen].sort()).toEqual(['1.0.0', '2.0.0']);
    await waitFor('Succeeded', 60_000, async () => ((await phase(api, 'backend')) === 'Succeeded' ? true : undefined));
    expect(await weightsOf()).toEqual([100, 0]);
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) versions.add((await getOnce(`http://127.0.0.1:${port}/`)).version ?? '?');
    expect([...versions]).toEqual(['2.0.0']);
  }, 240_000);
});
