import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startWeirUp, type WeirUp } from '../support/weir-process.js';

interface ServedKind {
  apiVersion: string;
  kind: string;
  path: string;
}

/** every kind the API serves, from its discovery documents */
async function servedKinds(api: string): Promise<ServedKind[]> {
  const json = async <T>(p: string) => (await (await fetch(api + p)).json()) as T;
  type Resources = { groupVersion: string; resources: Array<{ name: string; kind: string }> };
  const lists = [await json<Resources>('/api/v1')];
  const groups = await json<{ groups: Array<{ versions: Array<{ groupVersion: string }> }> }>('/apis');
  for (const g of groups.groups)
    for (const v of g.versions) lists.push(await json<Resources>(`/apis/${v.groupVersion}`));
  return lists.flatMap((l) =>
    l.resources
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({
        apiVersion: l.groupVersion,
        kind: r.kind,
        path: `${l.groupVersion.includes('/') ? '/apis' : '/api'}/${l.groupVersion}/${r.name}`,
      })),
  );
}

const names = (items: readonly k8s.KubernetesObject[]) =>
  items.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`).sort();

describe('@kubernetes/client-node informers against weir up', () => {
  let dir: string | undefined;
  let up: WeirUp | undefined;
  const informers: Array<k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>> = [];
  let stopped = false;

  afterAll(async () => {
    stopped = true;
    for (const i of informers) await i.stop();
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('list-watch every kind and follow a restart of weir up (relisting after 410 Gone)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-informers-'));
    const port = await freePort();
    await writeFile(
      join(dir, 'base.yaml'),
      `apiVersion: v1
kind: Namespace
metadata: { name: test }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: test }
data: { level: "1" }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898 }
  analysis: { interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10 }
`,
    );
    await writeFile(
      join(dir, 'sa.yaml'),
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: robot, namespace: test }\n',
    );
    const args = [dir, '--state-dir', join(dir, 'state'), '--api-port', String(port), '--no-controller'];
    up = await startWeirUp(args);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(join(dir, 'state', 'kubeconfig'));
    const objects = kc.makeApiClient(k8s.KubernetesObjectApi);

    const kinds = await servedKinds(up.api);
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['Canary', 'ConfigMap', 'Namespace', 'HTTPRoute']));
    const events: string[] = [];
    const byKind = new Map<string, (typeof informers)[number]>();
    for (const k of kinds) {
      const informer = k8s.makeInformer(kc, k.path, () => objects.list(k.apiVersion, k.kind));
      // client-node's documented pattern: an informer stops on a connection error and is started again
      informer.on('error', () => {
        if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 200);
      });
      for (const verb of ['add', 'update', 'delete'] as const)
        informer.on(verb, (o) => events.push(`${verb} ${k.kind} ${o.metadata?.name ?? ''}`));
      informers.push(informer);
      byKind.set(k.kind, informer);
      await informer.start();
    }
    const inSync = async (): Promise<true | undefined> => {
      for (const k of kinds) {
        const want = names((await objects.list(k.apiVersion, k.kind)).items);
        if (JSON.stringify(names(byKind.get(k.kind)!.list())) !== JSON.stringify(want)) return undefined;
      }
      return true;
    };
    await eventually('every informer to hold what the API lists', 15_000, inSync);
    expect(byKind.get('ConfigMap')!.get('settings', 'test')).toMatchObject({ data: { level: '1' } });
    expect(byKind.get('Namespace')!.get('test')).toBeDefined();

    // a live change reaches the watch
    await objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'live', namespace: 'test' },
      data: { a: '1' },
    } as k8s.KubernetesObject);
    await eventually('the new ConfigMap in the informer', 10_000, async () =>
      byKind.get('ConfigMap')!.get('live', 'test'),
    );

    // restart: while it is down, one object changes, one goes, one comes
    expect(await up.stop()).toBe(0);
    up = undefined;
    await writeFile(
      join(dir, 'base.yaml'),
      `apiVersion: v1
kind: Namespace
metadata: { name: test }
---
apiVersion: v1
kind: Namespace
metadata: { name: other }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: test }
data: { level: "2" }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898 }
  analysis: { interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10 }
`,
    );
    await unlink(join(dir, 'sa.yaml'));
    const before = events.length;
    up = await startWeirUp(args);

    await eventually('the informers to follow the restart', 20_000, async () => {
      const cm = byKind.get('ConfigMap')!.get('settings', 'test') as { data?: Record<string, string> } | undefined;
      if (cm?.data?.level !== '2') return undefined;
      if (byKind.get('ServiceAccount')!.get('robot', 'test')) return undefined;
      return byKind.get('Namespace')!.get('other');
    });
    const after = events.slice(before);
    expect(after).toContain('update ConfigMap settings');
    expect(after).toContain('delete ServiceAccount robot');
    expect(after).toContain('add Namespace other');
    await eventually('every informer to hold what the restarted API lists', 15_000, inSync);

    // and they watch the new instance
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live', namespace: 'test' } });
    await eventually('the deletion in the informer', 10_000, async () =>
      byKind.get('ConfigMap')!.get('live', 'test') ? undefined : true,
    );
  }, 120_000);
});
