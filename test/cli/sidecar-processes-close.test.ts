import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { startMeshIdentity } from '../../cli/mesh-identity.js';
import { sidecarProcesses } from '../../cli/sidecar-process.js';
import { freePort } from '../support/weir-process.js';
import { sidecarPids } from '../support/sidecar-pids.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// `weir up` took 30 s to exit after its last pods were stopped: a sidecar still starting (not ready yet) was not
// among the ones close() stopped, and one asked for during the shutdown was started after it; each lived until
// its ready timeout.
describe('weir up stopping its sidecars', () => {
  let dir: string;
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops one still starting at once, and starts none once stopping', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-sidecars-close-'));
    const identity = await startMeshIdentity({ stateDir: dir });
    const processes = sidecarProcesses({
      // no control plane there: the sidecar never gets ready
      controlPlane: `127.0.0.1:${await freePort()}`,
      stateDir: dir,
      identity,
      serviceHost: '127.0.0.1',
      logger: createLogger('silent'),
      readyTimeoutMs: 60_000,
    });
    const pod = (name: string) => ({
      namespace: 'test',
      name,
      deployment: 'web',
      labels: { app: 'web' },
      serviceAccount: 'default',
      appPort: 1,
    });
    const starting = processes.factory(pod('web-starting')).then(
      () => 'ready',
      (err: Error) => err.message,
    );
    for (let i = 0; i < 100 && sidecarPids('web-starting').length === 0; i++) await sleep(100);
    expect(sidecarPids('web-starting').length).toBe(1);

    const t0 = Date.now();
    await processes.close();
    const outcome = await starting;
    const closeMs = Date.now() - t0;
    expect(outcome).toMatch(/web-starting/);
    expect(sidecarPids('web-starting')).toEqual([]);
    expect(closeMs, `close took ${closeMs} ms`).toBeLessThan(20_000); // the ready timeout is 60 s

    await expect(processes.factory(pod('web-late'))).rejects.toThrow(/weir up is stopping/);
    expect(sidecarPids('web-late')).toEqual([]);
  }, 60_000);
});
