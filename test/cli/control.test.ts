import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryManifests } from '../e2e/canary-fixtures.js';
import { eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

interface CanaryJson {
  spec: { suspend?: boolean };
  status?: { phase?: string; canaryWeight?: number; conditions?: Array<{ type: string; reason?: string }> };
}

// `weir pause|resume|abort NAME` as an operator types them, against a running `weir up`.
describe('weir pause, resume and abort', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let port: number;

  const canary = async (): Promise<CanaryJson> => {
    const r = await runWeir(['get', 'canary', 'podinfo', '-n', 'test', '-o', 'json', '--api', up!.api]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as CanaryJson;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-control-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-control-apply-'));
    port = await freePort();
    // a long ladder without metrics: the run only ends when someone acts on it (90 steps of one interval:
    // on a loaded machine 20 steps ran out before the abort test, which then waited for a rollback in vain)
    const analysis = { stepWeights: Array.from({ length: 90 }, (_, i) => i + 1) };
    await writeFile(join(dir, 'podinfo.yaml'), canaryManifests({ port, analysis }));
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
    await eventually('the canary to initialize', 40_000, async () =>
      (await canary()).status?.phase === 'Initialized' ? true : undefined,
    );
    await writeFile(join(scratch, 'v2.yaml'), canaryManifests({ port, analysis, version: '2.0.0' }).split('---')[0]!);
    expect((await runWeir(['apply', '-f', join(scratch, 'v2.yaml'), '--api', up.api])).code).toBe(0);
    await eventually('the analysis to advance', 40_000, async () =>
      ((await canary()).status?.canaryWeight ?? 0) >= 2 ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('pause holds the weight until resume', async () => {
    const paused = await runWeir(['pause', 'podinfo', '-n', 'test', '--api', up!.api]);
    expect(paused.code, paused.stderr).toBe(0);
    expect((await canary()).spec.suspend).toBe(true);
    const held = (await canary()).status?.canaryWeight;
    await new Promise((r) => setTimeout(r, 3_000)); // three intervals
    expect((await canary()).status?.canaryWeight).toBe(held);

    expect((await runWeir(['resume', 'podinfo', '-n', 'test', '--api', up!.api])).code).toBe(0);
    expect((await canary()).spec.suspend).toBe(false);
    await eventually('the weight to move again', 20_000, async () =>
      ((await canary()).status?.canaryWeight ?? 0) > (held ?? 0) ? true : undefined,
    );
  }, 60_000);

  it('abort rolls back now and says why in the status', async () => {
    expect((await runWeir(['abort', 'podinfo', '-n', 'test', '--api', up!.api])).code).toBe(0);
    const failed = await eventually('the rollback', 45_000, async () => {
      const c = await canary();
      if (c.status?.phase === 'Succeeded') throw new Error('the run was promoted before the abort');
      return c.status?.phase === 'Failed' ? c : undefined;
    });
    expect(failed.status?.canaryWeight).toBe(0);
    expect(failed.status?.conditions?.some((c) => c.type === 'Analysis')).toBe(true);
    // `weir get events` lists the controller's events as kubectl does (oldest first), the abort among them
    const events = await runWeir(['get', 'events', '-n', 'test', '--api', up!.api]);
    expect(events.code, events.stderr).toBe(0);
    const lines = events.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(
      lines.some((l) =>
        /^\d+[smhd]\S*\s+Warning\s+Synced\s+canary\/podinfo\s+Rolling back podinfo\.test aborted manually$/.test(l),
      ),
    ).toBe(true);
    expect(lines.findIndex((l) => l.includes('New revision detected!'))).toBeLessThan(
      lines.findIndex((l) => l.includes('aborted manually')),
    );
  }, 60_000);

  it('names a Canary that does not exist and exits non-zero', async () => {
    const r = await runWeir(['promote', 'nope', '-n', 'test', '--api', up!.api]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nope');
  });
});
