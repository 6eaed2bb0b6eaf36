import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryManifests, getOnce, primaryVersion } from '../e2e/canary-fixtures.js';
import { freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

/** requests through the Service port, one after another, until stopped (the metric checks need traffic) */
function steadyLoad(port: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await getOnce(`http://127.0.0.1:${port}/`, 2_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

// `weir wait canary NAME --for=...` as a pipeline's promotion gate, over real short rollouts
describe('weir wait canary', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let port: number;
  let load: { stop(): Promise<void> } | undefined;
  const analysis = {
    threshold: 2,
    stepWeight: 25,
    maxWeight: 50,
    metrics: [{ name: 'request-success-rate', interval: '2s', thresholdRange: { min: 99 } }],
  };
  const wait = (args: string[], timeoutMs = 90_000) =>
    runWeir(['wait', 'canary', 'podinfo', '-n', 'test', '--api', up!.api, ...args], {}, timeoutMs);
  /** a new revision of the Deployment, applied as a pipeline would */
  const applyVersion = async (version: string, errorRate?: string) => {
    let deployment = canaryManifests({ port, analysis, version }).split('---')[0]!;
    if (errorRate)
      deployment = deployment.replace(
        `env: [{ name: VERSION, value: "${version}" }]`,
        `env: [{ name: VERSION, value: "${version}" }, { name: ERROR_RATE, value: "${errorRate}" }]`,
      );
    const file = join(scratch, `${version}.yaml`);
    await writeFile(file, deployment);
    const r = await runWeir(['apply', '-f', file, '--api', up!.api]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-wait-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-wait-apply-'));
    port = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), canaryManifests({ port, analysis }));
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
    load = steadyLoad(port);
  }, 60_000);

  afterAll(async () => {
    await load?.stop();
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('is met by the first deployment once it is initialized', async () => {
    const r = await wait(['--for=promoted', '--timeout', '60s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^podinfo\.test Initialized weight 0 failed checks 0\/2$/m);
    expect(r.stdout.trim().split('\n').pop()).toBe('canary.flagger.app/podinfo condition met');
  }, 90_000);

  it('exits 0 when the version applied just before is promoted, not before', async () => {
    await applyVersion('2.0.0');
    const r = await wait(['--for=promoted', '--timeout', '60s']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // not satisfied by the previous run: when it returns, the primary runs the version just applied
    expect(await primaryVersion(up!.api)).toBe('2.0.0');
    expect(r.stdout).toMatch(/^podinfo\.test Succeeded weight 0 failed checks \d\/2$/m);
    expect(r.stdout.trim().split('\n').pop()).toBe('canary.flagger.app/podinfo condition met');
  }, 90_000);

  it('exits 1 when the run fails while waiting for promoted, saying why in one line', async () => {
    await applyVersion('3.0.0', '1');
    const r = await wait(['--for=promoted', '--timeout', '60s']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/^podinfo\.test Failed weight 0/m);
    expect(r.stderr).toMatch(
      /^error: canary\.flagger\.app\/podinfo Failed: request-success-rate \d+\.\d\d% < 99% at weight 25, 2\/2 failed checks$/m,
    );
    // the same run, waited for as failed: met at once
    const failed = await wait(['--for=failed', '--timeout', '10s']);
    expect(failed.code, failed.stderr).toBe(0);
  }, 90_000);

  it('exits 2 when the timeout passes first', async () => {
    const started = Date.now();
    const r = await wait(['--for=phase=Progressing', '--timeout', '1500ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('timed out waiting for the condition (phase=Progressing) on canaries/podinfo');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('exits 1 for a Canary that does not exist, 2 for a bad condition or duration', async () => {
    const missing = await runWeir(['wait', 'canary', 'nope', '-n', 'test', '--for=promoted', '--api', up!.api]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('canaries.flagger.app "nope" not found');
    expect((await wait(['--for=done'])).code).toBe(2);
    expect((await wait(['--for=phase=Sleeping'])).code).toBe(2);
    expect((await wait(['--for=promoted', '--timeout', 'soon'])).code).toBe(2);
    expect((await runWeir(['wait', 'canary', 'podinfo', '--api', up!.api])).code).toBe(2); // --for is required
  });
});
