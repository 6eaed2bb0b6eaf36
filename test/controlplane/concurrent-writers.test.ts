import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../controlplane/api/http-api.js';
import { LocalStore } from '../../controlplane/store/local-store.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import {
  ResourceConflictError,
  ResourceExistsError,
  ResourceNotFoundError,
} from '../../controlplane/store/resource-store.js';
import type { Canary } from '../../engine/resources/index.js';
import { tempDir } from './helpers.js';

const URL_PATH = '/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo';
const COUNT = 'weir.dev/count';

const canary = {
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test', annotations: { [COUNT]: '0' } },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '30s', threshold: 5, maxWeight: 50, stepWeight: 10 },
  },
};

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

type Obj = { metadata: { resourceVersion: string; annotations: Record<string, string> } };

describe('concurrent writers', () => {
  it('many writers updating one Canary from stale versions get 409, retry, and no update is lost', async () => {
    const t = await tempDir('weir-writers-');
    cleanups.push(t.cleanup);
    const store = await LocalStore.open({ dir: t.dir, watch: false });
    cleanups.push(() => store.close());
    const api = await startHttpApi({ store });
    cleanups.push(() => api.close());
    const url = api.url + URL_PATH;
    const created = await fetch(api.url + '/apis/flagger.app/v1beta1/namespaces/test/canaries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(canary),
    });
    expect(created.status).toBe(201);

    const get = async (): Promise<Obj> => (await (await fetch(url)).json()) as Obj;
    const put = (o: Obj) =>
      fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });

    // every writer read the same version: exactly one write lands, the others are 409 Conflict
    const seen = await Promise.all(Array.from({ length: 8 }, () => get()));
    const first = await Promise.all(
      seen.map((o, i) => {
        o.metadata.annotations = { ...o.metadata.annotations, [`writer-${i}`]: 'was here' };
        return put(o);
      }),
    );
    expect(first.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);

    // then each writer increments the counter N times, read-modify-write, retrying on 409
    const WRITERS = 8;
    const UPDATES = 15;
    let conflicts = 0;
    const written: number[] = [];
    const writer = async (): Promise<void> => {
      for (let n = 0; n < UPDATES; n++) {
        for (let attempt = 1; ; attempt++) {
          const o = await get();
          const next = Number(o.metadata.annotations[COUNT]) + 1;
          o.metadata.annotations[COUNT] = String(next);
          const r = await put(o);
          if (r.status === 200) {
            written.push(next);
            break;
          }
          expect(r.status).toBe(409);
          expect(await r.json()).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
          conflicts++;
          if (attempt > 500) throw new Error('a writer never got through');
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
    const final = await get();
    expect(Number(final.metadata.annotations[COUNT])).toBe(WRITERS * UPDATES);
    // every successful write set a different value: none overwrote another's
    expect(new Set(written).size).toBe(WRITERS * UPDATES);
    expect(conflicts).toBeGreaterThan(0);
    expect(store.get<Canary>('Canary', 'test', 'podinfo')?.metadata.annotations?.[COUNT]).toBe(
      String(WRITERS * UPDATES),
    );
  }, 60_000);

  it('the store checks preconditions: create, update, resourceVersion on apply, status and delete', async () => {
    const store = new MemoryStore();
    const c = (await store.apply(canary, { mode: 'create' })) as Canary;
    await expect(store.apply(canary, { mode: 'create' })).rejects.toBeInstanceOf(ResourceExistsError);
    await expect(
      store.apply({ ...canary, metadata: { ...canary.metadata, name: 'other' } }, { mode: 'update' }),
    ).rejects.toBeInstanceOf(ResourceNotFoundError);
    const rv = c.metadata.resourceVersion!;
    const updated = await store.apply(canary, { resourceVersion: rv });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    await expect(store.apply(canary, { resourceVersion: rv })).rejects.toBeInstanceOf(ResourceConflictError);
    await expect(
      store.patchStatus('Canary', 'test', 'podinfo', { phase: 'Progressing' }, { resourceVersion: rv }),
    ).rejects.toBeInstanceOf(ResourceConflictError);
    await store.patchStatus(
      'Canary',
      'test',
      'podinfo',
      { phase: 'Progressing' },
      {
        resourceVersion: updated.metadata.resourceVersion!,
      },
    );
    await expect(store.delete('Canary', 'test', 'podinfo', { resourceVersion: rv })).rejects.toBeInstanceOf(
      ResourceConflictError,
    );
    expect(store.get('Canary', 'test', 'podinfo')?.status).toEqual({ phase: 'Progressing' });
  });
});
