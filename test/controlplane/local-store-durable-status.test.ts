import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../controlplane/store/local-store.js';
import { ResourceConflictError, type WatchEvent } from '../../controlplane/store/resource-store.js';
import { tempDir } from './helpers.js';

// A status written with `durable` (the canary controller's) is seen by readers only once it is on disk: a
// controller killed in between never leaves a status that the API showed and a restart lost.

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80 }]
`;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function openWith(...names: string[]): Promise<{ store: LocalStore; dir: string }> {
  const t = await tempDir('weir-durable-');
  cleanups.push(t.cleanup);
  await writeFile(join(t.dir, 'svc.yaml'), names.map(service).join('---\n'));
  const store = await LocalStore.open({ dir: t.dir, watch: false });
  cleanups.push(() => store.close());
  return { store, dir: t.dir };
}

const fileStatus = (dir: string, name: string): unknown => {
  try {
    const rec = JSON.parse(readFileSync(join(dir, '.weir', 'objects', 'Service', 'test', `${name}.json`), 'utf8'));
    return (rec as { object: { status?: unknown } }).object.status;
  } catch {
    return undefined;
  }
};

describe('durable status writes (local store)', () => {
  it('makes a status visible only once its file holds it', async () => {
    const { store, dir } = await openWith('a');
    const seenOnDisk: unknown[] = [];
    store.watch((e: WatchEvent) => {
      if (e.type === 'MODIFIED') seenOnDisk.push(fileStatus(dir, 'a'));
    });
    const written = store.patchStatus('Service', 'test', 'a', { step: 1 }, { durable: true });
    expect(store.get('Service', 'test', 'a')?.status).toBeUndefined();
    await written;
    expect(store.get('Service', 'test', 'a')?.status).toEqual({ step: 1 });
    // when watchers (and so the API) heard of it, the file already had it
    expect(seenOnDisk).toEqual([{ step: 1 }]);
  });

  it('makes the statuses of one synchronous run of writes visible together', async () => {
    const { store } = await openWith('a', 'b');
    const writes = [
      store.patchStatus('Service', 'test', 'a', { step: 2 }, { durable: true }),
      store.patchStatus('Service', 'test', 'b', { step: 2 }, { durable: true }),
    ];
    // what a reader between two turns of the event loop (an API request) sees: neither, or both
    const views: string[] = [];
    let done = false;
    void Promise.all(writes).then(() => (done = true));
    while (!done) {
      const a = store.get('Service', 'test', 'a')?.status !== undefined;
      const b = store.get('Service', 'test', 'b')?.status !== undefined;
      views.push(`${a} ${b}`);
      await new Promise((r) => setImmediate(r));
    }
    views.push(
      `${store.get('Service', 'test', 'a')?.status !== undefined} ${store.get('Service', 'test', 'b')?.status !== undefined}`,
    );
    expect(views.length).toBeGreaterThan(1);
    expect(new Set(views)).toEqual(new Set(['false false', 'true true']));
  });

  it('refuses a durable status against a stale resourceVersion and writes nothing', async () => {
    const { store, dir } = await openWith('a');
    const rv = store.get('Service', 'test', 'a')!.metadata.resourceVersion;
    await store.patchStatus('Service', 'test', 'a', { step: 1 }, { durable: true });
    await expect(
      store.patchStatus('Service', 'test', 'a', { step: 2 }, { durable: true, resourceVersion: rv }),
    ).rejects.toBeInstanceOf(ResourceConflictError);
    await store.flush();
    expect(store.get('Service', 'test', 'a')?.status).toEqual({ step: 1 });
    expect(fileStatus(dir, 'a')).toEqual({ step: 1 });
  });

  it('keeps a spec applied while a durable status was being written, with that status', async () => {
    const { store, dir } = await openWith('a');
    const svc = store.get('Service', 'test', 'a')!;
    const status = store.patchStatus('Service', 'test', 'a', { step: 3 }, { durable: true });
    await store.apply({ ...svc, spec: { ...(svc.spec as object), selector: { app: 'other' } } } as typeof svc);
    await status;
    await store.flush();
    const rec = JSON.parse(readFileSync(join(dir, '.weir', 'objects', 'Service', 'test', 'a.json'), 'utf8')) as {
      object: { spec: { selector: unknown }; status: unknown };
    };
    expect(rec.object.spec.selector).toEqual({ app: 'other' });
    expect(rec.object.status).toEqual({ step: 3 });
    expect(store.get('Service', 'test', 'a')?.status).toEqual({ step: 3 });
  });
});
