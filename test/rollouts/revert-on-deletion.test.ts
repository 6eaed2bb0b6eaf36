import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Canary, Deployment, HTTPRoute, Service } from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { FINALIZER } from '../../rollouts/finalizer.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, replicas, status } from './fixtures.js';

const INTERVAL = 10_000;

describe('revertOnDeletion (Flagger finalizer.flagger.app)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let runtime: ReturnType<typeof fakeRuntime>;
  let controller: CanaryController | undefined;
  const tick = () => clock.advance(INTERVAL);
  const get = () => store.get<Canary>('Canary', NS, 'podinfo');

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    runtime = fakeRuntime(store);
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
  });
  afterEach(async () => {
    await controller?.close();
    runtime.stop();
  });

  async function initialized(revertOnDeletion: boolean) {
    await store.apply(canary({}, { revertOnDeletion }));
    controller = startCanaryController({ store, metrics: new FakeMetrics(), clock });
    await clock.runDue();
    await tick();
    await tick();
    expect(status(store)?.phase).toBe('Initialized');
    expect(replicas(store, 'podinfo')).toBe(0);
  }

  it('holds the deleted Canary until the target serves again, then removes what it generated and lets it go', async () => {
    await initialized(true);
    expect(get()?.metadata.finalizers).toEqual([FINALIZER]);
    runtime.hold.add('podinfo');

    await store.delete('Canary', NS, 'podinfo');
    // the deletion starts a tick at once; this waits for that tick (or runs one when none is left to run)
    await controller!.tick(NS, 'podinfo');
    // Terminating while the target scales back up to the primary's replicas
    expect(get()?.status?.phase).toBe('Terminating');
    expect(replicas(store, 'podinfo')).toBe(2);
    await tick();
    expect(get()).toBeDefined();
    expect(store.get<Deployment>('Deployment', NS, 'podinfo-primary')).toBeDefined();

    await runtime.release('podinfo');
    await tick();
    expect(get()).toBeUndefined();
    expect(store.get<Service>('Service', NS, 'podinfo')?.spec.selector).toEqual({ app: 'podinfo' });
    expect(store.get<Deployment>('Deployment', NS, 'podinfo-primary')).toBeUndefined();
    expect(store.get<Service>('Service', NS, 'podinfo-primary')).toBeUndefined();
    expect(store.get<Service>('Service', NS, 'podinfo-canary')).toBeUndefined();
    expect(store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo')).toBeUndefined();
    expect(replicas(store, 'podinfo')).toBe(2);
    expect(controller!.events.messages(NS, 'podinfo').slice(-2)).toEqual([
      'Terminating canary podinfo.test',
      'Terminated canary podinfo.test',
    ]);
  });

  it('without revertOnDeletion a deleted Canary goes at once and leaves the primary serving', async () => {
    await initialized(false);
    expect(get()?.metadata.finalizers).toBeUndefined();
    await store.delete('Canary', NS, 'podinfo');
    // the deletion starts a tick at once; this waits for that tick (or runs one when none is left to run)
    await controller!.tick(NS, 'podinfo');
    expect(get()).toBeUndefined();
    expect(store.get<Deployment>('Deployment', NS, 'podinfo-primary')).toBeDefined();
  });

  it('turning revertOnDeletion off removes the finalizer', async () => {
    await initialized(true);
    const c = structuredClone(get()!);
    delete c.metadata.resourceVersion;
    c.spec.revertOnDeletion = false;
    await store.apply(c);
    await tick();
    expect(get()?.metadata.finalizers).toBeUndefined();
  });
});
