import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { ResourceConflictError, type StatusOptions } from '../../controlplane/store/resource-store.js';
import type { Canary } from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, status } from './fixtures.js';

describe('controller status writes', () => {
  const controllers: CanaryController[] = [];
  const stops: Array<() => void> = [];
  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.close();
    for (const s of stops.splice(0)) s();
  });

  it('carry the resourceVersion they were computed from; a Canary changed meanwhile gets 409, and the write is retried without losing the change', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryStore(() => clock.now());
    const runtime = fakeRuntime(store);
    stops.push(() => runtime.stop());
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
    await store.apply(canary());

    const writes: Array<{ options: StatusOptions | undefined; outcome: string }> = [];
    const patchStatus = store.patchStatus.bind(store);
    let raced = false;
    store.patchStatus = (async (kind: string, ns: string, name: string, st: unknown, options?: StatusOptions) => {
      if (kind !== 'Canary') return patchStatus(kind, ns, name, st, options);
      if (!raced) {
        // another writer labels the Canary between the controller's read and its status write
        raced = true;
        const c = store.get<Canary>('Canary', ns, name)!;
        await store.apply({ ...c, metadata: { ...c.metadata, labels: { team: 'web' } } });
      }
      try {
        const r = await patchStatus(kind, ns, name, st, options);
        writes.push({ options, outcome: 'ok' });
        return r;
      } catch (err) {
        writes.push({ options, outcome: err instanceof ResourceConflictError ? 'conflict' : String(err) });
        throw err;
      }
    }) as typeof store.patchStatus;

    controllers.push(startCanaryController({ store, metrics: new FakeMetrics(), clock }));
    await clock.runDue();
    expect(writes.map((w) => w.outcome)).toEqual(['conflict', 'ok']);
    expect(writes.every((w) => typeof w.options?.resourceVersion === 'string')).toBe(true);
    expect(status(store)?.phase).toBe('Initializing');
    expect(store.get<Canary>('Canary', NS, 'podinfo')?.metadata.labels).toEqual({ team: 'web' });
  });
});
