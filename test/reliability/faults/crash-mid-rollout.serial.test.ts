// A `.serial` test (npm test runs it alone, after the parallel suite): it counts failed requests, which
// other tests' processes on the same two cores must not decide.
import { sidecarPids } from '../../support/sidecar-pids.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ANNOTATION_APP_PORT } from '../../../engine/resources/pod.js';
import { steadyLoad } from '../../support/steady-load.js';
import { eventually, freePort, startWeirUp, type WeirUp } from '../../support/weir-process.js';
import { canaryManifests, canaryStatus } from '../../e2e/canary-fixtures.js';

interface PodLike {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const isReady = (p: PodLike) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function pods(api: string): Promise<PodLike[]> {
  const r = await fetch(`${api}/api/v1/namespaces/test/pods`, { signal: AbortSignal.timeout(5_000) });
  return ((await r.json()) as { items: PodLike[] }).items;
}

// Mid-rollout, with the primary at two replicas: one primary app process crashes (POST /panic), then the other
// primary pod's sidecar is SIGKILLed. Each time the pod leaves the endpoints (not ready, restarted) and the load
// on the Service goes on. Until the proxies learn that it left, requests still go to it, and none of them is lost:
// a connection the dead sidecar refuses, or the crashed app's sidecar answering that its app refused the
// connection, sent nothing, and the request goes to the other pod (proxy/redispatch.ts). The only requests that
// may fail are the ones already sent on a connection the death cut (to the app, or to the sidecar) at that
// instant: each of the load's loops has at most one request in flight, so at most the load's concurrency, none
// after; the run still ends as its SLO (success rate >= 90 %) says.
describe('an app instance and a sidecar dying mid-rollout', () => {
  let dir: string | undefined;
  let up: WeirUp | undefined;

  afterAll(async () => {
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('ejects the pod, costs at most the requests in flight to it, and the run ends Succeeded', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-crash-'));
    const port = await freePort();
    const analysis = {
      interval: '2s',
      threshold: 5,
      stepWeight: 10,
      maxWeight: 50,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 90 }, interval: '10s' }],
    };
    // the pods restarted after the crash and the kill may be slow to start on a loaded machine: the run is judged
    // by its SLO here, not by the 60 s progress deadline (a run past it ends Failed, as Flagger's does)
    const manifests = canaryManifests({ port, analysis })
      .replace('replicas: 1', 'replicas: 2')
      .replaceAll('progressDeadlineSeconds: 60', 'progressDeadlineSeconds: 240');
    await writeFile(join(dir, 'app.yaml'), manifests);
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')], {}, 60_000);
    const api = up.api;
    await eventually('Initialized', 300_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );
    const primaries = async () =>
      (await pods(api)).filter((p) => p.metadata.name.startsWith('podinfo-primary-') && isReady(p));
    await eventually('two ready primary pods', 60_000, async () =>
      (await primaries()).length === 2 ? true : undefined,
    );

    const steps: Record<string, number> = {};
    const agent = new Agent({ keepAliveTimeout: 2_000 });
    const concurrency = 4;
    // every other request a POST with a body, kept by the proxy in case a dead pod's sidecar reads it and answers
    // that its app never got it (then it goes to the other pod: test/proxy/tls/redispatch-mtls.test.ts)
    let sent = 0;
    const body = 'x'.repeat(2048);
    const load = steadyLoad(
      async () => {
        const post = sent++ % 2 === 1;
        const r = await request(`http://127.0.0.1:${port}/`, {
          dispatcher: agent,
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
          ...(post ? { method: 'POST' as const, body, headers: { 'content-type': 'text/plain' } } : {}),
        });
        await r.body.text();
        return r.statusCode === 200 ? undefined : `status ${r.statusCode}`;
      },
      concurrency,
      10,
    );
    try {
      await eventually('load answered', 30_000, async () => (load.tally().ok >= 50 ? true : undefined));
      const { setVersion } = await import('../../e2e/canary-fixtures.js');
      await setVersion(api, '2.0.0');
      await eventually('Progressing', 120_000, async () => {
        const s = await canaryStatus(api);
        return s.phase === 'Progressing' && (s.canaryWeight ?? 0) >= 10 ? true : undefined;
      });

      // 1. a primary app process crashes
      const [first, second] = await primaries();
      const appPort = first!.metadata.annotations![ANNOTATION_APP_PORT]!;
      const failedBefore = load.tally().failed;
      await fetch(`http://127.0.0.1:${appPort}/panic`, { method: 'POST' }).catch(() => undefined);
      await eventually(`${first!.metadata.name} to leave the ready endpoints`, 30_000, async () =>
        (await primaries()).some((p) => p.metadata.name === first!.metadata.name) ? undefined : true,
      );
      const afterCrash = load.tally();
      steps.crash = afterCrash.failed - failedBefore;
      expect(afterCrash.failed - failedBefore).toBeLessThanOrEqual(concurrency);
      // none more once it is out
      const okAfterCrash = afterCrash.ok;
      await eventually('requests after the ejection', 60_000, async () =>
        load.tally().ok >= okAfterCrash + 100 ? true : undefined,
      );
      steps.afterCrash = load.tally().failed - afterCrash.failed;
      expect(load.tally().failed).toBe(afterCrash.failed);

      // 2. the other primary pod's sidecar is killed
      await eventually('two ready primary pods again', 120_000, async () =>
        (await primaries()).length === 2 ? true : undefined,
      );
      const pids = sidecarPids(second!.metadata.name);
      expect(pids.length).toBeGreaterThan(0);
      const failedBeforeKill = load.tally().failed;
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await eventually(`${second!.metadata.name} to leave the ready endpoints`, 30_000, async () =>
        (await primaries()).some((p) => p.metadata.name === second!.metadata.name) ? undefined : true,
      );
      const afterKill = load.tally();
      await eventually('requests after the sidecar left', 60_000, async () =>
        load.tally().ok >= afterKill.ok + 100 ? true : undefined,
      );
      // the outbound proxies learn that the pod left a moment after the API says so; meanwhile the dead
      // sidecar's refused connections are tried on the other pod: only the requests in flight to it fail
      steps.sidecarKill = load.tally().failed - failedBeforeKill;
      expect(load.tally().failed - failedBeforeKill).toBeLessThanOrEqual(concurrency);

      // 3. the run ends as its SLO says: a few lost requests are far above 90 % success
      const end = await eventually('the run to end', 240_000, async () => {
        const p = (await canaryStatus(api)).phase;
        return p === 'Succeeded' || p === 'Failed' ? p : undefined;
      });
      // on a failure, the Canary's events say why the run ended so
      const events =
        end === 'Succeeded'
          ? []
          : (
              (await (await fetch(`${api}/api/v1/namespaces/test/events`)).json()) as {
                items: Array<{ lastTimestamp?: string; reason?: string; message?: string }>;
              }
            ).items.map((e) => `${e.lastTimestamp ?? ''} ${e.reason}: ${e.message}`);
      expect(end, events.join('\n')).toBe('Succeeded');
    } finally {
      const t = await load.stop();
      await agent.close();
      console.log(JSON.stringify({ crashAndSidecarKill: t, failedByStep: steps }));
    }
  }, 900_000);
});
