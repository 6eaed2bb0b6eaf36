import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/weir-process.js';
import {
  canaryEvents,
  canaryManifests,
  canaryStatus,
  getOnce,
  primaryVersion,
  routeWeights,
  setVersion,
  startWeirUpGroup,
  waitFor,
  type GroupProcess,
} from './canary-fixtures.js';

// A CI-style manual gate: confirm-promotion points at the built-in load tester; the run holds at its
// maximum weight until a plain HTTP call opens the gate.
describe('confirm-promotion gate on the built-in load tester', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;

  afterAll(async () => {
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('waits in WaitingPromotion at max weight until POST /gate/open, then Succeeded', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-gate-'));
    const port = await freePort();
    const ltPort = await freePort();
    const lt = `http://127.0.0.1:${ltPort}`;
    await writeFile(
      join(dir, 'app.yaml'),
      canaryManifests({
        port,
        analysis: {
          stepWeight: 25,
          maxWeight: 50,
          webhooks: [{ name: 'ci-gate', type: 'confirm-promotion', url: `${lt}/gate/check` }],
        },
      }),
    );
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state'), '--loadtester-port', String(ltPort)]);
    const u = up;
    await waitFor('the load tester line', 5_000, async () =>
      u.output().includes(`loadtester listening on ${lt}`) ? true : undefined,
    );
    const api = up.api;
    await waitFor('Initialized', 30_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );

    await setVersion(api, '2.0.0');
    const held = await waitFor('WaitingPromotion', 30_000, async () => {
      const s = await canaryStatus(api);
      return s.phase === 'WaitingPromotion' ? s : undefined;
    });
    expect(held.canaryWeight).toBe(50);
    expect(held.conditions?.find((c) => c.type === 'Promoted')).toMatchObject({
      status: 'Unknown',
      reason: 'WaitingPromotion',
      message: 'Waiting for approval.',
    });
    // it stays there, tick after tick, with half the traffic on the canary
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await canaryStatus(api)).toMatchObject({ phase: 'WaitingPromotion', canaryWeight: 50 });
    expect(await routeWeights(api)).toEqual([50, 50]);
    expect(await primaryVersion(api)).toBe('1.0.0');
    expect(await canaryEvents(api)).toContain('Halt podinfo.test advancement waiting for promotion approval ci-gate');
    const closed = await fetch(`${lt}/gate/check`, {
      method: 'POST',
      body: JSON.stringify({ name: 'podinfo', namespace: 'test' }),
    });
    expect(closed.status).toBe(403);

    const opened = await fetch(`${lt}/gate/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'podinfo', namespace: 'test' }),
    });
    expect(opened.status).toBe(202);
    await waitFor('Succeeded', 60_000, async () =>
      (await canaryStatus(api)).phase === 'Succeeded' ? true : undefined,
    );
    expect(await primaryVersion(api)).toBe('2.0.0');
    expect(await routeWeights(api)).toEqual([100, 0]);
    const events = await canaryEvents(api);
    expect(events).toContain('Confirm-promotion check ci-gate passed');
    expect(events.filter((e) => e.startsWith('Copying podinfo.test template spec'))).toHaveLength(1);
    // real traffic through the Service now reaches v2 on the primary
    const res = await waitFor('v2 to serve', 30_000, async () => {
      const r = await getOnce(`http://127.0.0.1:${port}/`);
      return r.version === '2.0.0' ? r : undefined;
    });
    expect(res.status).toBe(200);
  }, 90_000);
});
