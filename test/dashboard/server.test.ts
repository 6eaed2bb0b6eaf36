import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { KubeEvent } from '../../engine/resources/index.js';
import { startDashboard, type Dashboard, type DashboardAction } from '../../dashboard/server.js';
import { eventually } from '../support/weir-process.js';
import { canary, NS } from '../rollouts/fixtures.js';

function event(name: string, time: string, type: 'Normal' | 'Warning', message: string): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: NS },
    involvedObject: { kind: 'Canary', name: 'podinfo', namespace: NS },
    type,
    reason: 'Synced',
    message,
    lastTimestamp: time,
  };
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('dashboard server', () => {
  let dashboard: Dashboard | undefined;
  afterEach(async () => {
    await dashboard?.close();
    dashboard = undefined;
  });

  async function start(acted: string[]): Promise<{ store: MemoryStore; base: string }> {
    const store = new MemoryStore();
    await store.apply(canary({ stepWeight: 10, maxWeight: 50, threshold: 3 }));
    await store.patchStatus('Canary', NS, 'podinfo', {
      phase: 'Progressing',
      canaryWeight: 20,
      failedChecks: 1,
      iterations: 0,
      conditions: [],
    });
    await store.apply(
      event('podinfo.1', '2026-01-01T10:00:00Z', 'Normal', 'New revision detected! Scaling up podinfo.test'),
    );
    await store.apply(
      event('podinfo.2', '2026-01-01T10:00:01Z', 'Warning', 'canary deployment podinfo.test not ready'),
    );
    await store.apply(
      event('podinfo.3', '2026-01-01T10:00:02Z', 'Warning', 'canary deployment podinfo.test not ready'),
    );
    await store.apply(event('podinfo.4', '2026-01-01T10:00:03Z', 'Normal', 'Advance podinfo.test canary weight 10'));
    dashboard = await startDashboard({
      store,
      sampleIntervalMs: 50,
      failureReason: (c, events) => `reason for ${c.metadata.name} from ${events.length} events`,
      act: async (ns, name, action: DashboardAction) => {
        if (name !== 'podinfo') return undefined;
        acted.push(`${action} ${ns}/${name}`);
        return { message: `${action} requested` };
      },
    });
    return { store, base: dashboard.url };
  }

  it('lists the canaries with phase, weights and failed checks', async () => {
    const { base } = await start([]);
    const { status, body } = await json(`${base}api/canaries`);
    expect(status).toBe(200);
    expect(body.items).toEqual([
      expect.objectContaining({
        namespace: NS,
        name: 'podinfo',
        strategy: 'canary',
        phase: 'Progressing',
        canaryWeight: 20,
        primaryWeight: 80,
        failedChecks: 1,
        threshold: 3,
        suspended: false,
      }),
    ]);
  });

  it("serves one canary's timeline (repeats folded), reason and chart points", async () => {
    const { base } = await start([]);
    const one = await eventually('chart points', 10_000, async () => {
      const r = await json(`${base}api/canaries/${NS}/podinfo`);
      return (r.body.points as unknown[]).length >= 2 ? r.body : undefined;
    });
    expect(one.failureReason).toBe('reason for podinfo from 4 events');
    expect(one.events).toEqual([
      expect.objectContaining({ type: 'Normal', message: 'New revision detected! Scaling up podinfo.test', count: 1 }),
      {
        type: 'Warning',
        reason: 'Synced',
        message: 'canary deployment podinfo.test not ready',
        count: 2,
        firstTime: '2026-01-01T10:00:01Z',
        time: '2026-01-01T10:00:02Z',
      },
      expect.objectContaining({ message: 'Advance podinfo.test canary weight 10' }),
    ]);
    const points = one.points as Array<{ t: number; canaryWeight: number; primaryWeight: number; phase: string }>;
    expect(points[0]).toMatchObject({ canaryWeight: 20, primaryWeight: 80, phase: 'Progressing' });
    // ?since= returns only newer points
    const later = await json(`${base}api/canaries/${NS}/podinfo?since=${points.at(-1)!.t}`);
    expect((later.body.points as Array<{ t: number }>).every((p) => p.t > points.at(-1)!.t)).toBe(true);
    expect((await json(`${base}api/canaries/${NS}/nope`)).status).toBe(404);
  });

  it('acts on a canary only with its header, and names unknown actions and canaries', async () => {
    const acted: string[] = [];
    const { base } = await start(acted);
    const post = (path: string, headers: Record<string, string> = { 'x-weir-dashboard': '1' }) =>
      json(`${base}api/canaries/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      });
    expect((await post(`${NS}/podinfo/abort`, {})).status).toBe(403);
    expect(acted).toEqual([]);
    expect(await post(`${NS}/podinfo/abort`)).toEqual({ status: 202, body: { message: 'abort requested' } });
    expect(acted).toEqual([`abort ${NS}/podinfo`]);
    expect((await post(`${NS}/podinfo/explode`)).body.message).toMatch(/unknown action explode/);
    expect((await post(`${NS}/nope/promote`)).status).toBe(404);
  });

  it('serves the page and uPlot from node_modules, and refuses other Host names', async () => {
    const { base } = await start([]);
    const page = await fetch(base);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="/vendor/uPlot.iife.min.js"></script>');
    expect((await fetch(`${base}vendor/uPlot.iife.min.js`)).status).toBe(200);
    expect((await fetch(`${base}app.js`)).status).toBe(200);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}api/canaries`, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
