import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

describe('weir up: the metrics port and the dashboard', () => {
  let dir: string | undefined;
  let up: WeirUp | undefined;
  afterAll(async () => {
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--metrics-port serves flagger_info and process metrics there; --no-dashboard serves no dashboard', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-up-ports-'));
    const port = await freePort();
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state'), '--metrics-port', String(port), '--no-dashboard']);
    const u = up;
    await eventually('the metrics line', 20_000, async () =>
      /^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m.test(u.output()) ? true : undefined,
    );
    const lines = up.output().split('\n');
    const at = lines.indexOf(`metrics: http://127.0.0.1:${port}/metrics`);
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('control plane: grpc://')));
    expect(up.output()).not.toMatch(/^dashboard:/m);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    expect(text).toMatch(/^flagger_info\{version="\d+\.\d+\.\d+",mesh_provider="gatewayapi:v1"\} 1$/m);
    expect(text).toMatch(/^process_start_time_seconds \d/m);
    expect(await up.stop()).toBe(0);
    up = undefined;
  }, 90_000);

  it('refuses a port that is not one, naming the flag (exit 2)', async () => {
    const bad = await runWeir(['up', tmpdir(), '--dashboard-port', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('weir up: --dashboard-port must be a port number, got NaN');
    const big = await runWeir(['up', tmpdir(), '--metrics-port', '70000']);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('weir up: --metrics-port must be a port number, got 70000');
  });
});
