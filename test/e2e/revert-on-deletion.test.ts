import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runWeir } from '../support/weir-process.js';
import {
  canaryManifests,
  canaryStatus,
  getOnce,
  startWeirUpGroup,
  waitFor,
  type GroupProcess,
} from './canary-fixtures.js';

async function status(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await res.text();
  return res.status;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

describe('revertOnDeletion under weir up', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;

  afterAll(async () => {
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('weir delete canary: Terminating, the target serves again, the generated objects go, and no request fails', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-revert-'));
    const port = await freePort();
    const manifests = canaryManifests({ port, analysis: { stepWeight: 50, maxWeight: 50 } }).replace(
      '  progressDeadlineSeconds: 60\n  service:',
      '  progressDeadlineSeconds: 60\n  revertOnDeletion: true\n  service:',
    );
    expect(manifests).toContain('revertOnDeletion: true');
    await writeFile(join(dir, 'app.yaml'), manifests);
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state')]);
    const api = up.api;
    const ns = `${api}/apis/apps/v1/namespaces/test`;
    await waitFor('Initialized', 45_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );
    const canaryUrl = `${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo`;
    const held = await getJson<{ metadata: { finalizers?: string[] } }>(canaryUrl);
    expect(held.metadata.finalizers).toEqual(['finalizer.flagger.app']);
    await waitFor('the primary to serve', 30_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).status === 200 ? true : undefined,
    );

    // steady traffic through the apex Service for the whole deletion
    const failures: string[] = [];
    let ok = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        try {
          const r = await getOnce(`http://127.0.0.1:${port}/`);
          if (r.status === 200) ok++;
          else failures.push(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(String(err));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const del = await runWeir(['delete', 'canary', 'podinfo', '-n', 'test', '--api', api]);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain('canary.flagger.app "podinfo" deleted');
    const terminating = await getJson<{ metadata: { deletionTimestamp?: string }; status?: { phase?: string } }>(
      canaryUrl,
    ).catch(() => undefined);
    // still there, held by the finalizer, while the target scales back (or already gone on a fast machine)
    if (terminating) expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await waitFor('the Canary gone', 60_000, async () => ((await status(canaryUrl)) === 404 ? true : undefined));
    // a little more traffic on the target alone, then stop
    const okAtRelease = ok;
    await waitFor('requests served after the release', 30_000, async () => (ok >= okAtRelease + 20 ? true : undefined));
    running = false;
    await load;

    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    const svc = await getJson<{ spec: { selector: Record<string, string> } }>(
      `${api}/api/v1/namespaces/test/services/podinfo`,
    );
    expect(svc.spec.selector).toEqual({ app: 'podinfo' });
    const target = await getJson<{ spec: { replicas: number }; status?: { readyReplicas?: number } }>(
      `${ns}/deployments/podinfo`,
    );
    expect(target.spec.replicas).toBe(1);
    expect(target.status?.readyReplicas).toBe(1);
    expect(await status(`${ns}/deployments/podinfo-primary`)).toBe(404);
    expect(await status(`${api}/api/v1/namespaces/test/services/podinfo-primary`)).toBe(404);
    expect(await status(`${api}/api/v1/namespaces/test/services/podinfo-canary`)).toBe(404);
    expect(await status(`${api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/podinfo`)).toBe(404);
    const events = await getJson<{ items: Array<{ message: string; involvedObject: { name: string } }> }>(
      `${api}/api/v1/namespaces/test/events`,
    );
    const messages = events.items.filter((e) => e.involvedObject.name === 'podinfo').map((e) => e.message);
    expect(messages).toContain('Terminating canary podinfo.test');
    expect(messages).toContain('Terminated canary podinfo.test');
  }, 180_000);
});
