import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../../controlplane/store/local-store.js';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import type { WatchEvent } from '../../../controlplane/store/resource-store.js';
import type { KubeObject } from '../../../engine/resources/index.js';
import { apiOverMemory } from '../api-support.js';

const cm = (finalizers?: string[]): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'test', ...(finalizers ? { finalizers } : {}) },
    data: { a: '1' },
  }) as KubeObject;

describe('finalizers, as the Kubernetes API server keeps them', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('a delete sets deletionTimestamp and keeps the object until the last finalizer is removed', async () => {
    const store = new MemoryStore(() => new Date('2026-12-03T12:00:00.5Z'));
    const events: WatchEvent[] = [];
    store.watch((e) => events.push(e));
    await store.apply(cm(['example.com/a', 'example.com/b']));
    expect(await store.delete('ConfigMap', 'test', 'cfg')).toBe(true);
    const held = store.get('ConfigMap', 'test', 'cfg')!;
    expect(held.metadata.deletionTimestamp).toBe('2026-12-03T12:00:00Z');
    // a second delete changes nothing; a write keeps the timestamp and may not add a finalizer
    expect(await store.delete('ConfigMap', 'test', 'cfg')).toBe(true);
    await expect(store.apply(cm(['example.com/a', 'example.com/b', 'example.com/c']))).rejects.toThrow(
      /no new finalizers can be added if the object is being deleted/,
    );
    await store.apply({ ...cm(['example.com/b']), metadata: { ...cm().metadata, finalizers: ['example.com/b'] } });
    expect(store.get('ConfigMap', 'test', 'cfg')?.metadata.deletionTimestamp).toBe('2026-12-03T12:00:00Z');
    await store.apply(cm([]));
    expect(store.get('ConfigMap', 'test', 'cfg')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  });

  it('a write cannot set deletionTimestamp, and an object without finalizers goes at once', async () => {
    const store = new MemoryStore();
    const o = cm();
    o.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const stored = await store.apply(o);
    expect(stored.metadata.deletionTimestamp).toBeUndefined();
    expect(await store.delete('ConfigMap', 'test', 'cfg')).toBe(true);
    expect(store.get('ConfigMap', 'test', 'cfg')).toBeUndefined();
  });

  it('the local store keeps an object being deleted across a restart, and forgets it once released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-finalizers-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const open = async () => {
      const s = await LocalStore.open({ dir, watch: false });
      return s;
    };
    let store = await open();
    await store.apply(cm(['example.com/a']));
    await store.delete('ConfigMap', 'test', 'cfg');
    await store.close();
    store = await open();
    expect(store.get('ConfigMap', 'test', 'cfg')?.metadata.deletionTimestamp).toBeDefined();
    await store.apply(cm([]));
    expect(store.get('ConfigMap', 'test', 'cfg')).toBeUndefined();
    await store.close();
    store = await open();
    expect(store.get('ConfigMap', 'test', 'cfg')).toBeUndefined();
    await store.close();
  });

  it('over the API: DELETE answers the object with its deletionTimestamp; a PATCH dropping the finalizer deletes it', async () => {
    const { api, call } = await apiOverMemory();
    closers.push(() => api.close());
    const path = '/api/v1/namespaces/test/configmaps';
    expect((await call('POST', path, cm(['example.com/a']))).status).toBe(201);
    const del = await call('DELETE', `${path}/cfg`);
    expect(del.status).toBe(200);
    expect(del.body.metadata?.deletionTimestamp).toEqual(expect.any(String));
    expect((await call('GET', `${path}/cfg`)).status).toBe(200);
    const patched = await call(
      'PATCH',
      `${path}/cfg`,
      { metadata: { finalizers: null } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(patched.status).toBe(200);
    expect((await call('GET', `${path}/cfg`)).status).toBe(404);
  });
});
