import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/weir-process.js';
import {
  canaryEvents,
  kubeEvents,
  canaryManifests,
  canaryStatus,
  primaryVersion,
  routeWeights,
  setVersion,
  startWeirUpGroup,
  waitFor,
  type CanaryState,
  type GroupProcess,
} from './canary-fixtures.js';

// All controller state is in the store: `weir up` killed mid-analysis (SIGKILL, with every process it runs)
// and started again on the same folder resumes the run at the same weight and phase, and promotes once.
describe('controller restart mid-analysis', () => {
  let dir: string | undefined;
  const running: GroupProcess[] = [];

  afterAll(async () => {
    for (const p of running) await p.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resumes from the same weight and phase to Succeeded, each promotion event once, the events kept', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-restart-'));
    const port = await freePort();
    await writeFile(
      join(dir, 'app.yaml'),
      canaryManifests({ port, analysis: { interval: '2s', stepWeight: 20, maxWeight: 60 } }),
    );
    const args = [dir, '--state-dir', join(dir, 'state')];
    const first = await startWeirUpGroup(args);
    running.push(first);
    await waitFor('Initialized', 30_000, async () =>
      (await canaryStatus(first.api)).phase === 'Initialized' ? true : undefined,
    );
    await setVersion(first.api, '2.0.0');

    // follow the events of the first process until it dies
    let before: string[] = [];
    const at20 = await waitFor('weight 20', 40_000, async () => {
      before = await canaryEvents(first.api);
      const s = await canaryStatus(first.api);
      return s.phase === 'Progressing' && s.canaryWeight === 20 ? s : undefined;
    });
    expect(await routeWeights(first.api)).toEqual([80, 20]);
    await first.kill();
    expect(before).toContain('Advance podinfo.test canary weight 20');

    const second = await startWeirUpGroup(args);
    running.push(second);
    // the first thing the new controller reports is the run where it was: no restart from weight 0
    const seen: CanaryState[] = [];
    const resumed = await canaryStatus(second.api);
    expect(resumed).toMatchObject({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: at20.lastAppliedSpec });
    expect(await routeWeights(second.api)).toEqual([80, 20]);
    await waitFor('Succeeded', 60_000, async () => {
      const s = await canaryStatus(second.api);
      seen.push(s);
      return s.phase === 'Succeeded' ? true : undefined;
    });
    const progressing = seen.filter((s) => s.phase === 'Progressing').map((s) => s.canaryWeight ?? 0);
    expect(Math.min(...progressing)).toBeGreaterThanOrEqual(20);
    for (let i = 1; i < progressing.length; i++) expect(progressing[i]).toBeGreaterThanOrEqual(progressing[i - 1]!);
    expect(await primaryVersion(second.api)).toBe('2.0.0');

    // the events are in the store: the second controller lists the first one's, in order, then its own
    const all = await canaryEvents(second.api);
    expect(all.slice(0, before.length)).toEqual(before);
    // and they are core v1 Events at the Kubernetes path
    expect(await kubeEvents(second.api)).toEqual(all);
    const count = (prefix: string) => all.filter((m) => m.startsWith(prefix)).length;
    expect(count('New revision detected! Scaling up podinfo.test')).toBe(1);
    expect(count('Starting canary analysis for podinfo.test')).toBe(1);
    expect(count('New revision detected! Restarting analysis')).toBe(0);
    expect(count('Copying podinfo.test template spec to podinfo-primary.test')).toBe(1);
    expect(count('Promotion completed! Scaling down podinfo.test')).toBe(1);
    expect(count('Canary failed!')).toBe(0);
    // the weights the second controller set continue the ladder
    expect(all.filter((m) => m.startsWith('Advance podinfo.test canary weight'))).toEqual([
      'Advance podinfo.test canary weight 20',
      'Advance podinfo.test canary weight 40',
      'Advance podinfo.test canary weight 60',
    ]);
  }, 120_000);
});
