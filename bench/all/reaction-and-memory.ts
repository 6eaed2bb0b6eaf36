/**
 * Controller reaction time and sidecar memory, measured on `weir up` (real sidecars): a canary (the sample app)
 * under a steady load receives a revision whose every answer is a 500 (ERROR_RATE=1, the sample app's error
 * knob). The SLO breach starts when the canary first carries traffic (its HTTPRoute weight leaves 0); the
 * reaction ends when the controller has written canary weight 0 back. Meanwhile the RSS of every `weir proxy`
 * process of the run is read from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { canaryManifests, canaryStatus, routeWeights } from '../../test/e2e/canary-fixtures.js';
import { eventually, freePort, startWeirUp } from '../../test/support/weir-process.js';
import { steadyLoad } from '../../test/support/steady-load.js';

export interface ReactionResult {
  /** ms from the canary's first non-zero weight to weight 0 again */
  reactionMs: number;
  analysis: string;
  /** RSS of each `weir proxy` sidecar process, MB */
  sidecarRssMb: number[];
}

/** RSS (MB) of the `weir proxy` sidecars of one `weir up` (their command line names its control plane) */
function sidecarRss(controlPlane: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args.includes('proxy') || !args.includes('--pod') || !args.some((a) => a.includes(controlPlane))) continue;
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (kb) out.push(Math.round((Number(kb) / 1024) * 10) / 10);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function measureReaction(): Promise<ReactionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-bench-reaction-'));
  const port = await freePort();
  const analysis = {
    interval: '1s',
    threshold: 1,
    stepWeight: 20,
    maxWeight: 60,
    metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' }],
  };
  await writeFile(join(dir, 'app.yaml'), canaryManifests({ port, analysis }));
  const up = await startWeirUp([dir, '--state-dir', join(dir, 'state')], {}, 60_000);
  const agent = new Agent({ keepAliveTimeout: 2_000 });
  const load = steadyLoad(
    async () => {
      const r = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent, headersTimeout: 10_000 });
      await r.body.text();
      return r.statusCode === 200 ? undefined : `status ${r.statusCode}`;
    },
    4,
    10,
  );
  try {
    await eventually('Initialized', 120_000, async () =>
      (await canaryStatus(up.api)).phase === 'Initialized' ? true : undefined,
    );
    const controlPlane = /control plane: grpc:\/\/(\S+)/.exec(up.output())?.[1];
    if (!controlPlane) throw new Error(`weir up did not print its control plane address:\n${up.output()}`);
    // the new revision: every answer a 500
    const url = `${up.api}/apis/apps/v1/namespaces/test/deployments/podinfo`;
    const d = (await (await fetch(url)).json()) as {
      status?: unknown;
      spec: { template: { spec: { containers: Array<{ env?: unknown }> } } };
    };
    delete d.status;
    d.spec.template.spec.containers[0]!.env = [
      { name: 'VERSION', value: '2.0.0' },
      { name: 'ERROR_RATE', value: '1' },
    ];
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(d),
    });
    if (!put.ok) throw new Error(`PUT ${url}: ${put.status}`);
    let breach = 0;
    let rss: number[] = [];
    const reactionMs = await eventually('the canary back at weight 0', 180_000, async () => {
      const w = await routeWeights(up.api);
      const t = performance.now();
      if (breach === 0 && w && w[1] > 0) {
        breach = t;
        rss = sidecarRss(controlPlane); // the run's pods: primary and canary
      }
      return breach > 0 && w && w[1] === 0 ? Math.round(t - breach) : undefined;
    });
    return { reactionMs, analysis: JSON.stringify(analysis), sidecarRssMb: rss };
  } finally {
    await load.stop();
    await agent.close();
    await up.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
