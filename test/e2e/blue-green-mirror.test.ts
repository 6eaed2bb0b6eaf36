import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateWindows } from '../support/state-windows.js';
import { eventually, freePort, startWeirUp, type WeirUp } from '../support/weir-process.js';
import { canaryManifests, canaryStatus, getOnce, setVersion } from './canary-fixtures.js';

interface PodLike {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

interface RouteLike {
  spec: {
    rules: Array<{
      filters?: Array<{ type: string; requestMirror?: { backendRef: { name: string } } }>;
      backendRefs?: Array<{ name: string; weight?: number }>;
    }>;
  };
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** the route's state as a user of the mesh would get it: mirroring to the canary on, and the weights */
async function routeState(api: string): Promise<{ mirrored: boolean; canary: number } | undefined> {
  const r = await json<RouteLike>(`${api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/podinfo`).catch(
    () => undefined,
  );
  const rule = r?.spec.rules[0];
  if (!rule) return undefined;
  const mirrored = (rule.filters ?? []).some(
    (f) => f.type === 'RequestMirror' && f.requestMirror?.backendRef.name === 'podinfo-canary',
  );
  return { mirrored, canary: rule.backendRefs?.find((b) => b.name === 'podinfo-canary')?.weight ?? 0 };
}

/** inbound requests the canary's sidecars counted (sum of `request_total{direction="inbound"}` over its pods) */
async function canaryInbound(api: string): Promise<number> {
  const pods = await json<{ items: PodLike[] }>(`${api}/api/v1/namespaces/test/pods`);
  let total = 0;
  for (const p of pods.items.filter((x) => x.metadata.labels?.app === 'podinfo')) {
    const admin = p.metadata.annotations?.['weir.dev/admin-port'];
    if (!admin) continue;
    const text = (await getOnce(`http://127.0.0.1:${admin}/metrics`).catch(() => ({ body: '' }))).body;
    for (const line of text.split('\n')) {
      if (line.startsWith('request_total{') && line.includes('direction="inbound"')) {
        total += Number(line.split(' ').pop());
      }
    }
  }
  return total;
}

// Blue/green with mirroring as Flagger runs it on the Gateway API (reference 3.7, 3.8): for `iterations`
// ticks every user request is answered by the primary while a copy goes to the canary; then all traffic
// goes to the canary, then the primary is promoted.
describe('blue/green with mirroring end to end', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-bg-mirror-'));
    port = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), canaryManifests({ port, analysis: { iterations: 5, mirror: true } }));
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
  }, 40_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers users from v1 while v2 receives mirrored copies, then cuts over to v2 and succeeds', async () => {
    const api = up!.api;
    await eventually('the canary to initialize', 30_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );
    await setVersion(api, '2.0.0');

    // each request is attributed to the state (the Canary's phase and the route the controller wrote) read
    // both before and after it was answered; one whose window straddles a change is dropped
    const windows = new StateWindows(
      async () => ({ phase: (await canaryStatus(api)).phase, route: await routeState(api) }),
      (s) =>
        s.phase === 'Progressing' && s.route?.mirrored
          ? 'mirrored'
          : s.route?.canary === 100
            ? 'cut over'
            : `${s.phase ?? 'none'} canary ${s.route?.canary ?? '-'}`,
    );
    let canarySaw = 0;
    const deadline = Date.now() + 45_000;
    let s = await windows.refresh();
    while (Date.now() < deadline && s.phase !== 'Succeeded' && s.phase !== 'Failed') {
      s = await windows.observe('user', async () => (await getOnce(`http://127.0.0.1:${port}/`)).version);
      // the copies reach the canary asynchronously: read its sidecars' counters while it still runs
      if (s.route?.mirrored) canarySaw = Math.max(canarySaw, await canaryInbound(api));
    }
    expect(s.phase).toBe('Succeeded');
    // during the iterations the route mirrored and every user request was answered by v1 ...
    const whileMirrored = windows.during<string | undefined>('mirrored', 'user');
    expect(whileMirrored.length).toBeGreaterThan(0);
    expect([...new Set(whileMirrored)]).toEqual(['1.0.0']);
    // ... while the canary's sidecar received copies of them
    expect(canarySaw).toBeGreaterThan(0);
    // then all traffic went to the canary (v2) before the primary was promoted
    expect(windows.during<string | undefined>('cut over', 'user')).toContain('2.0.0');
    // and after promotion everyone gets v2 from the primary
    await eventually('v2 for everyone', 10_000, async () =>
      (await getOnce(`http://127.0.0.1:${port}/`)).version === '2.0.0' ? true : undefined,
    );
  }, 90_000);
});
