import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ResourceConflictError,
  ResourceExistsError,
  ResourceNotFoundError,
  ResourceValidationError,
  type ResourceStore,
  type WatchEvent,
} from '../../../controlplane/store/resource-store.js';
import type { Canary, KubeObject } from '../../../engine/resources/index.js';

export interface StoreUnderTest {
  store: ResourceStore;
  close(): Promise<void>;
}

const canary = (name: string, stepWeight: unknown = 10): KubeObject =>
  ({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: 'test', labels: { team: 'a' } },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight },
    },
  }) as KubeObject;

const configMap = (name: string, data: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'test' }, data }) as KubeObject;

/** wait (bounded) until `check` holds, polling: writes of a remote store reach its watch asynchronously */
async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What every `ResourceStore` promises (controlplane/store/resource-store.ts), run against each
 * implementation: the memory store, and the Kubernetes store over the embedded API.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`ResourceStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: ResourceStore;
    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
    });
    afterEach(async () => {
      await sut.close();
    });

    it('apply creates, get and list read it back, and a second apply replaces it', async () => {
      const created = await store.apply(configMap('one', { a: '1' }));
      expect(created.metadata.resourceVersion).toBeTruthy();
      expect(created.metadata.uid).toBeTruthy();
      await store.apply(configMap('two', { b: '2' }));
      expect(store.get('ConfigMap', 'test', 'one')).toMatchObject({ data: { a: '1' } });
      expect(store.list('ConfigMap', 'test').map((o) => o.metadata.name)).toEqual(['one', 'two']);
      expect(store.list('ConfigMap', 'elsewhere')).toEqual([]);
      const replaced = await store.apply(configMap('one', { a: '3' }));
      expect(replaced.metadata.uid).toBe(created.metadata.uid);
      expect(replaced.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
      expect(store.get('ConfigMap', 'test', 'one')).toMatchObject({ data: { a: '3' } });
    });

    it('a spec change bumps generation; the status subresource changes the status only', async () => {
      const first = await store.apply<Canary>(canary('podinfo'));
      expect(first.metadata.generation).toBe(1);
      const status = { phase: 'Progressing', canaryWeight: 10, failedChecks: 0, iterations: 0 };
      const written = await store.patchStatus<Canary>('Canary', 'test', 'podinfo', status);
      expect(written.metadata.generation).toBe(1);
      expect(written.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
      expect(written.spec.analysis?.stepWeight).toBe(10);
      expect(store.get<Canary>('Canary', 'test', 'podinfo')?.status).toMatchObject(status);
      // a spec change keeps the status and counts a generation
      const next = await store.apply<Canary>(canary('podinfo', 20));
      expect(next.metadata.generation).toBe(2);
      expect(next.status).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    });

    it('a write against a stale resourceVersion is a conflict; against the current one it succeeds', async () => {
      const v1 = await store.apply(configMap('cfg', { a: '1' }));
      const v2 = await store.apply(configMap('cfg', { a: '2' }));
      await expect(
        store.apply(configMap('cfg', { a: 'stale' }), { resourceVersion: v1.metadata.resourceVersion! }),
      ).rejects.toBeInstanceOf(ResourceConflictError);
      const c1 = await store.apply(canary('podinfo'));
      await store.patchStatus('Canary', 'test', 'podinfo', { phase: 'Initializing' });
      await expect(
        store.patchStatus(
          'Canary',
          'test',
          'podinfo',
          { phase: 'Failed' },
          { resourceVersion: c1.metadata.resourceVersion! },
        ),
      ).rejects.toBeInstanceOf(ResourceConflictError);
      await expect(
        store.delete('ConfigMap', 'test', 'cfg', { resourceVersion: v1.metadata.resourceVersion! }),
      ).rejects.toBeInstanceOf(ResourceConflictError);
      const v3 = await store.apply(configMap('cfg', { a: '3' }), { resourceVersion: v2.metadata.resourceVersion! });
      expect(store.get('ConfigMap', 'test', 'cfg')).toMatchObject({ data: { a: '3' } });
      expect(v3.metadata.resourceVersion).not.toBe(v2.metadata.resourceVersion);
    });

    it('create of an existing object and update of a missing one fail with their own errors', async () => {
      await store.apply(configMap('cfg', { a: '1' }), { mode: 'create' });
      await expect(store.apply(configMap('cfg', { a: '2' }), { mode: 'create' })).rejects.toBeInstanceOf(
        ResourceExistsError,
      );
      await expect(store.apply(configMap('missing', { a: '1' }), { mode: 'update' })).rejects.toBeInstanceOf(
        ResourceNotFoundError,
      );
      await expect(store.patchStatus('Canary', 'test', 'missing', { phase: 'Failed' })).rejects.toBeInstanceOf(
        ResourceNotFoundError,
      );
      expect(store.get('ConfigMap', 'test', 'missing')).toBeUndefined();
      expect(store.get('ConfigMap', 'test', 'cfg')).toMatchObject({ data: { a: '1' } });
    });

    it('delete removes the object once; a second delete answers false', async () => {
      await store.apply(configMap('cfg', { a: '1' }));
      expect(await store.delete('ConfigMap', 'test', 'cfg')).toBe(true);
      expect(store.get('ConfigMap', 'test', 'cfg')).toBeUndefined();
      expect(store.list('ConfigMap', 'test')).toEqual([]);
      expect(await store.delete('ConfigMap', 'test', 'cfg')).toBe(false);
    });

    it('watch reports every change in order, with the versions of the writes', async () => {
      const events: WatchEvent[] = [];
      const unwatch = store.watch((e) => {
        if (e.object.metadata.name === 'podinfo') events.push(e);
      });
      const a = await store.apply(canary('podinfo'));
      const b = await store.patchStatus('Canary', 'test', 'podinfo', { phase: 'Initializing' });
      const c = await store.apply(canary('podinfo', 20));
      await store.delete('Canary', 'test', 'podinfo');
      await until('four events', () => events.length >= 4);
      // nothing more arrives for it (a remote store must not report its own writes twice): a later write of
      // the same kind is seen after anything the earlier ones could still cause
      const markers: WatchEvent[] = [];
      const offMarker = store.watch((e) => {
        if (e.object.metadata.name === 'marker') markers.push(e);
      });
      await store.apply(canary('marker'));
      await until('the marker', () => markers.length > 0);
      offMarker();
      unwatch();
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      expect(events.slice(0, 3).map((e) => e.object.metadata.resourceVersion)).toEqual([
        a.metadata.resourceVersion,
        b.metadata.resourceVersion,
        c.metadata.resourceVersion,
      ]);
      expect((events[1]!.object as Canary).status?.phase).toBe('Initializing');
      expect(store.currentVersion()).toBeTruthy();
    });

    it('changesSince answers the changes after a version, oldest first', async () => {
      const from = store.currentVersion();
      await store.apply(configMap('one', { a: '1' }));
      await store.apply(configMap('two', { a: '1' }));
      const changes = await until('two changes', () => {
        const c = store.changesSince(from);
        return Array.isArray(c) && c.length >= 2 ? c : undefined;
      });
      expect(changes.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED one', 'ADDED two']);
    });

    it('an invalid object is refused with the field path, and nothing is stored', async () => {
      const err = await store.apply(canary('bad', 'ten')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResourceValidationError);
      expect((err as ResourceValidationError).errors.map((e) => e.path)).toContain('spec.analysis.stepWeight');
      expect(store.get('Canary', 'test', 'bad')).toBeUndefined();
    });
  });
}
