import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, SAMPLE_APP } from '../support/weir-process.js';
import { canaryStatus, getOnce, startWeirUpGroup, waitFor, type GroupProcess } from './canary-fixtures.js';

/** podinfo reading VERSION from ConfigMap `cfg`, the user's apex Service (`app: podinfo`), and a Canary */
function manifests(port: number): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: cfg, namespace: test }
data: { VERSION: "1.0.0" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: podinfo, namespace: test, labels: { app: podinfo } }
spec:
  replicas: 1
  progressDeadlineSeconds: 60
  selector: { matchLabels: { app: podinfo } }
  template:
    metadata: { labels: { app: podinfo } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, valueFrom: { configMapKeyRef: { name: cfg, key: VERSION } } }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test, labels: { team: web } }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  progressDeadlineSeconds: 60
  service:
    port: ${port}
    targetPort: 9898
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${port} }]
  analysis: { interval: 1s, threshold: 3, stepWeight: 50, maxWeight: 50 }
`;
}

interface PodList {
  items: Array<{ metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }>;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function primaryPods(api: string): Promise<string[]> {
  const r = await getJson<PodList>(`${api}/api/v1/namespaces/test/pods`);
  return r.items.filter((p) => p.metadata.labels?.app === 'podinfo-primary').map((p) => p.metadata.name);
}

describe('a canary that changes only a ConfigMap', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;

  afterAll(async () => {
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('promotes the new config to the running primary pods, and the apex Service selects the primary', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-config-'));
    const port = await freePort();
    await writeFile(join(dir, 'app.yaml'), manifests(port));
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state')]);
    const api = up.api;
    await waitFor('Initialized', 30_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );
    // the user's apex Service now selects the primary's pods, its own metadata kept
    const apex = await getJson<{ metadata: { labels?: Record<string, string> }; spec: { selector: unknown } }>(
      `${api}/api/v1/namespaces/test/services/podinfo`,
    );
    expect(apex.spec.selector).toEqual({ app: 'podinfo-primary' });
    expect(apex.metadata.labels).toEqual({ team: 'web' });
    const first = await waitFor('v1 to serve', 30_000, async () => {
      const r = await getOnce(`http://127.0.0.1:${port}/`);
      return r.version === '1.0.0' ? r : undefined;
    });
    expect(first.status).toBe(200);
    const podsBefore = await primaryPods(api);
    expect(podsBefore).toHaveLength(1);

    // change cfg through the API: a new revision without any change of the Deployment
    const cfgUrl = `${api}/api/v1/namespaces/test/configmaps/cfg`;
    const cfg = await getJson<{ data: Record<string, string> }>(cfgUrl);
    cfg.data.VERSION = '2.0.0';
    await getJson(cfgUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cfg),
    });
    await waitFor('Progressing', 30_000, async () =>
      (await canaryStatus(api)).phase === 'Progressing' ? true : undefined,
    );
    await waitFor('Succeeded', 60_000, async () =>
      (await canaryStatus(api)).phase === 'Succeeded' ? true : undefined,
    );
    // the running primary pod answers with the new value: a new pod, started on cfg-primary's new data
    const res = await waitFor('the primary to serve 2.0.0', 30_000, async () => {
      const r = await getOnce(`http://127.0.0.1:${port}/`);
      return r.version === '2.0.0' ? r : undefined;
    });
    expect(res.status).toBe(200);
    const podsAfter = await waitFor('one primary pod', 30_000, async () => {
      const pods = await primaryPods(api);
      return pods.length === 1 ? pods : undefined;
    });
    expect(podsAfter[0]).not.toBe(podsBefore[0]);
    // and only it: every answer from now on is 2.0.0 (the canary is scaled to zero)
    for (let i = 0; i < 5; i++) expect((await getOnce(`http://127.0.0.1:${port}/`)).version).toBe('2.0.0');
  }, 120_000);
});
