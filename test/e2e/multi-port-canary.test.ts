import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateWindows } from '../support/state-windows.js';
import { eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';
import { canaryStatus, podinfoDeployment } from './canary-fixtures.js';

const deployment = (version: string): string => podinfoDeployment(version, 60);

function serviceAndCanary(web: number, api: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports:
    - { name: web, port: ${web}, targetPort: http }
    - { name: api, port: ${api}, targetPort: http }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  progressDeadlineSeconds: 60
  service:
    port: ${web}
    ports:
      - { name: web, port: ${web}, targetPort: http }
      - { name: api, port: ${api}, targetPort: http }
  analysis:
    interval: 1s
    threshold: 3
    stepWeight: 20
    maxWeight: 60
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 5s
`;
}

async function versionAt(port: number): Promise<string | null> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.headers.get('x-version');
}

/** eight calls at once */
const burst = <T>(call: () => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: 8 }, call));

// A canary of a Service with several ports (Flagger #1543, with the `service.ports` of Flagger's PR #1809):
// each port has its own route, all moved together, so that traffic on every port sees the canary.
describe('a multi-port canary end to end', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let web: number;
  let api: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-ports-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-ports-apply-'));
    web = await freePort();
    api = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), `${deployment('1.0.0')}---\n${serviceAndCanary(web, api)}`);
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('splits the traffic of every listed port, each through a route of its own, and promotes on all', async () => {
    await eventually('the canary to initialize', 40_000, async () =>
      (await canaryStatus(up!.api)).phase === 'Initialized' ? true : undefined,
    );
    for (const name of ['podinfo', 'podinfo-api']) {
      const r = await fetch(`${up!.api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/${name}`);
      expect(r.status, name).toBe(200);
    }
    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, deployment('2.0.0'));
    expect((await runWeir(['apply', '-f', v2, '--api', up!.api])).code).toBe(0);
    const windows = new StateWindows(
      () => canaryStatus(up!.api),
      (s) => s.phase ?? 'none',
    );
    const deadline = Date.now() + 120_000;
    let s = await windows.refresh();
    while (Date.now() < deadline && s.phase !== 'Succeeded' && s.phase !== 'Failed') {
      // a burst per observation, so that even the first 20 % step is seen with near certainty (0.8^8 per burst)
      await windows.observe('web', () => burst(() => versionAt(web)));
      s = await windows.observe('api', () => burst(() => versionAt(api)));
    }
    expect(s.phase).toBe('Succeeded');
    for (const tag of ['web', 'api']) {
      expect(new Set(windows.during<Array<string | null>>('Progressing', tag).flat()), tag).toEqual(
        new Set(['1.0.0', '2.0.0']),
      );
    }
    await eventually('v2 on both ports', 20_000, async () =>
      (await versionAt(web)) === '2.0.0' && (await versionAt(api)) === '2.0.0' ? true : undefined,
    );
  }, 180_000);
});
