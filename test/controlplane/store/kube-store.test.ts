import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../../controlplane/api/kubeconfig.js';
import { KubeStore } from '../../../controlplane/store/kube-store.js';
import { MemoryStore, objectKey } from '../../../controlplane/store/memory-store.js';
import type { WatchEvent } from '../../../controlplane/store/resource-store.js';
import type { KubeObject } from '../../../engine/resources/index.js';

/** a memory store that can hold what its schema refuses: the stand-in for an object written before a schema change */
class LaxStore extends MemoryStore {
  inject(o: KubeObject): void {
    const stored = { ...o, metadata: { ...o.metadata, resourceVersion: String(Date.now() * 1000 + 999_999) } };
    this.objects.set(objectKey(o.kind, o.metadata.namespace, o.metadata.name), stored);
    this.emit({ type: 'ADDED', object: stored });
  }
}

const cm = (name: string, a: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'test' }, data: { a } }) as KubeObject;

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('KubeStore (informers over the Kubernetes API)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function storeOver(backing: MemoryStore, port = 0) {
    const api = await startHttpApi({ store: backing, port });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeconfigFor(api.url));
    const store = await KubeStore.open({
      kubeConfig,
      kinds: ['ConfigMap', 'Canary', 'Deployment'],
      retryMs: { min: 50, max: 500 },
    });
    closers.push(() => store.close());
    return { api, store };
  }

  it('fills its caches before ready() and follows writes of other clients', async () => {
    const backing = new MemoryStore();
    await backing.apply(cm('before', '1'));
    const { api, store } = await storeOver(backing);
    closers.push(() => api.close());
    expect(store.get('ConfigMap', 'test', 'before')).toMatchObject({ data: { a: '1' } });
    const events: WatchEvent[] = [];
    store.watch((e) => events.push(e));
    await backing.apply(cm('after', '2'));
    await until('the other client’s write', () => store.get('ConfigMap', 'test', 'after'));
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED after']);
  });

  it('follows the API server restarting: a resumed watch, and a relist after 410 Gone', async () => {
    const backing = new MemoryStore();
    await backing.apply(cm('kept', '1'));
    await backing.apply(cm('goes', '1'));
    const opened = await storeOver(backing);
    const store = opened.store;
    let api = opened.api;
    const port = api.port;
    const events: string[] = [];
    store.watch((e) => events.push(`${e.type} ${e.object.metadata.name}`));

    // the same state behind a restarted server: the watch resumes from its version
    await api.close();
    await backing.apply(cm('kept', '2'));
    api = await startHttpApi({ store: backing, port });
    await until('the change made while the server was down', () =>
      (store.get('ConfigMap', 'test', 'kept') as { data?: { a?: string } } | undefined)?.data?.a === '2'
        ? true
        : undefined,
    );

    // a new server whose versions are not the old ones (410 Gone on resume): the cache is relisted
    await api.close();
    const fresh = new MemoryStore();
    await fresh.apply(cm('kept', '3'));
    await fresh.apply(cm('new', '1'));
    api = await startHttpApi({ store: fresh, port });
    closers.push(() => api.close());
    await until('the relist', () =>
      store.get('ConfigMap', 'test', 'new') && !store.get('ConfigMap', 'test', 'goes') ? true : undefined,
    );
    expect((store.get('ConfigMap', 'test', 'kept') as { data?: { a?: string } }).data?.a).toBe('3');
    expect(events).toEqual(expect.arrayContaining(['MODIFIED kept', 'DELETED goes', 'ADDED new']));
    // and it writes to the new server
    await store.apply(cm('written', '1'));
    expect(fresh.get('ConfigMap', 'test', 'written')).toBeDefined();
  }, 60_000);

  it('an object its schema refuses is not in the cache and is reported with kind, name and field path', async () => {
    const backing = new LaxStore();
    const { api, store } = await storeOver(backing);
    closers.push(() => api.close());
    backing.inject({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'bad', namespace: 'test' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { interval: '1m', threshold: 5, stepWeight: 'ten' },
      },
    } as unknown as KubeObject);
    const rejected = await until('the rejection', () => (store.rejected().length > 0 ? store.rejected() : undefined));
    expect(rejected[0]).toMatchObject({ file: 'Canary test/bad', path: 'spec.analysis.stepWeight' });
    expect(store.get('Canary', 'test', 'bad')).toBeUndefined();
  });
});
