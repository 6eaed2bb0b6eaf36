import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../controlplane/store/local-store.js';
import type { CanaryEvent } from '../../engine/canary/index.js';
import type { KubeEvent } from '../../engine/resources/index.js';
import { ManualClock } from '../../rollouts/clock.js';
import { EventRecorder } from '../../rollouts/events.js';
import { silentLogger } from '../../rollouts/logger.js';

const podinfo = { metadata: { name: 'podinfo', namespace: 'test', uid: 'u-1' } };
const other = { metadata: { name: 'other', namespace: 'test' } };
const normal = (message: string): CanaryEvent => ({ type: 'Normal', reason: 'Synced', message });

/** Canary events kept in the store as core v1 Events (rollouts/events.ts), across a restart. */
describe('EventRecorder with a store', () => {
  const dirs: string[] = [];
  const stores: LocalStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function open(dir: string): Promise<LocalStore> {
    const store = await LocalStore.open({ dir, watch: false });
    stores.push(store);
    return store;
  }

  it('events written by one controller are read back, in order, by the next one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-events-'));
    dirs.push(dir);
    const clock = new ManualClock();
    let store = await open(dir);
    const first = new EventRecorder({ clock, logger: silentLogger, store });
    // several in the same millisecond: the order is kept by the names
    for (const m of ['New revision detected! Scaling up podinfo.test', 'Starting canary analysis for podinfo.test'])
      first.record(podinfo, normal(m));
    clock.advance(2_000);
    first.record(podinfo, normal('Advance podinfo.test canary weight 10'));
    first.record(other, { type: 'Warning', reason: 'Synced', message: 'Halt other.test advancement' });
    await first.flush();

    const kube = store.list<KubeEvent>('Event', 'test');
    expect(kube).toHaveLength(4);
    expect(kube.every((e) => e.involvedObject.kind === 'Canary')).toBe(true);
    expect(kube.every((e) => /^(podinfo|other)\.[0-9a-f]{16}$/.test(e.metadata.name))).toBe(true);

    // a restart: a new store over the same state directory, a new recorder
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    store = await open(dir);
    const second = new EventRecorder({ clock, logger: silentLogger, store });
    expect(second.messages('test', 'podinfo')).toEqual([
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Advance podinfo.test canary weight 10',
    ]);
    expect(second.recent('test', 'other').map((e) => [e.type, e.message])).toEqual([
      ['Warning', 'Halt other.test advancement'],
    ]);
    // new events go after the old ones even if the clock went back
    second.record(podinfo, normal('Advance podinfo.test canary weight 20'));
    await second.flush();
    const names = store
      .list<KubeEvent>('Event', 'test')
      .map((e) => e.metadata.name)
      .filter((n) => n.startsWith('podinfo.'))
      .sort();
    expect(names).toHaveLength(4);
    expect(second.recent('test', 'podinfo').map((e) => e.metadata.name)).toEqual(names);
  });

  it('keeps the latest `capacity` events of a Canary, in memory and in the store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-events-'));
    dirs.push(dir);
    const store = await open(dir);
    const recorder = new EventRecorder({ clock: new ManualClock(), logger: silentLogger, store, capacity: 3 });
    for (let i = 1; i <= 5; i++) recorder.record(podinfo, normal(`event ${i}`));
    await recorder.flush();
    expect(recorder.messages('test', 'podinfo')).toEqual(['event 3', 'event 4', 'event 5']);
    const kept = store.list<KubeEvent>('Event', 'test').map((e) => e.message);
    expect(kept.sort()).toEqual(['event 3', 'event 4', 'event 5']);
  });

  it('a store write that fails is logged and does not stop the recorder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-events-'));
    dirs.push(dir);
    const store = await open(dir);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const recorder = new EventRecorder({ clock: new ManualClock(), logger, store });
    // a Canary name that is not a valid object name makes the store reject the Event
    recorder.record({ metadata: { name: 'Not_Valid', namespace: 'test' } }, normal('rejected'));
    recorder.record(podinfo, normal('kept'));
    await recorder.flush();
    expect(warnings.some((w) => /write event test\/Not_Valid\.[0-9a-f]+ failed/.test(w))).toBe(true);
    expect(store.list<KubeEvent>('Event', 'test').map((e) => e.message)).toEqual(['kept']);
    expect(recorder.messages('test', 'Not_Valid')).toEqual(['rejected']);
  });
});
