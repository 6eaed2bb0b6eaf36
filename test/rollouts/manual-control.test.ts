import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestCanaryAction } from '../../cli/commands/control.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Canary } from '../../engine/resources/index.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { canary, deployment, FakeMetrics, fakeRuntime, image, NS, status, weights } from './fixtures.js';

describe('manual control through the store', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let runtime: ReturnType<typeof fakeRuntime>;
  let controller: CanaryController | undefined;
  const tick = () => clock.advance(10_000);

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    runtime = fakeRuntime(store);
    await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
    await store.apply(canary());
    controller = startCanaryController({ store, metrics: new FakeMetrics(), clock });
    await clock.runDue();
    await tick(); // Initialized
    await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
    await tick(); // Progressing
    await tick(); // 10
    await tick(); // 20
    expect(weights(store)).toEqual([80, 20]);
  });
  afterEach(async () => {
    await controller?.close();
    runtime.stop();
  });

  it('pause holds the weight, resume goes on, promote skips to Promoting, the request survives a new controller', async () => {
    expect(await requestCanaryAction(store, NS, 'podinfo', 'pause', clock.now())).toMatchObject({ suspend: true });
    await tick();
    await tick();
    expect(weights(store)).toEqual([80, 20]);
    expect(status(store)?.phase).toBe('Progressing');
    await requestCanaryAction(store, NS, 'podinfo', 'resume', clock.now());
    await tick();
    expect(weights(store)).toEqual([70, 30]);

    const r = await requestCanaryAction(store, NS, 'podinfo', 'promote', clock.now());
    expect(r?.request).toMatch(/^promote@/);
    // a controller restart before the next tick: the request is in the store, not in memory
    await controller!.close();
    controller = startCanaryController({ store, metrics: new FakeMetrics(), clock });
    await clock.runDue();
    await tick();
    expect(status(store)?.phase).toBe('Promoting');
    expect(image(store, 'podinfo-primary')).toBe('podinfo:6.0.1');
    expect((status(store) as { manualAction?: unknown }).manualAction).toMatchObject({
      request: r?.request,
      result: 'Applied',
    });
    await tick();
    await tick();
    expect(status(store)?.phase).toBe('Succeeded');
    const messages = controller!.events.messages(NS, 'podinfo');
    expect(messages.filter((m) => m.startsWith('Copying'))).toHaveLength(1);
  });

  it('abort rolls back; retry runs the same revision again', async () => {
    await requestCanaryAction(store, NS, 'podinfo', 'abort', clock.now());
    await tick();
    expect(status(store)?.phase).toBe('Failed');
    expect(weights(store)).toEqual([100, 0]);
    expect(status(store)?.conditions?.find((c) => c.type === 'Analysis')).toMatchObject({ reason: 'ManualAbort' });
    await tick();
    expect(status(store)?.phase).toBe('Failed');
    const before = store.get<Canary>('Canary', NS, 'podinfo')!.spec;
    await requestCanaryAction(store, NS, 'podinfo', 'retry', clock.now());
    expect(store.get<Canary>('Canary', NS, 'podinfo')!.spec).toEqual(before);
    await tick();
    expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    await tick();
    expect(weights(store)).toEqual([90, 10]);
    expect(await requestCanaryAction(store, NS, 'nope', 'abort', clock.now())).toBeUndefined();
  });
});
