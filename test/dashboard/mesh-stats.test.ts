import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { ANNOTATION_PROXY_ADMIN, type KubeObject } from '../../engine/resources/index.js';
import { MeshStats } from '../../dashboard/mesh-stats.js';
import { deployment, NS } from '../rollouts/fixtures.js';

function pod(name: string, app: string, admin: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app }, annotations: { [ANNOTATION_PROXY_ADMIN]: admin } },
    spec: { containers: [{ name: 'app' }] },
  };
}

/** one sidecar's exposition: inbound responses of `web`, and its outbound calls to Service `api` */
function exposition(c: { ok: number; failed: number; fast: number; calls: number; callFailures: number }): string {
  const inbound = 'direction="inbound",namespace="test",deployment="web",pod="web-1",authority="web"';
  const out =
    'direction="outbound",namespace="test",deployment="web",pod="web-1",authority="api.test:80",dst_namespace="test",dst_service="api",dst_deployment="api"';
  const total = c.ok + c.failed;
  return [
    `response_total{${inbound},classification="success",status_code="200"} ${c.ok}`,
    `response_total{${inbound},classification="failure",status_code="500"} ${c.failed}`,
    `response_latency_ms_bucket{${inbound},status_code="200",le="10"} ${c.fast}`,
    `response_latency_ms_bucket{${inbound},status_code="200",le="100"} ${total}`,
    `response_latency_ms_bucket{${inbound},status_code="200",le="+Inf"} ${total}`,
    `response_total{${out},classification="success",status_code="200"} ${c.calls - c.callFailures}`,
    `response_total{${out},classification="failure",status_code="503"} ${c.callFailures}`,
    `response_latency_ms_bucket{${out},status_code="200",le="10"} ${c.calls}`,
    `response_latency_ms_bucket{${out},status_code="200",le="+Inf"} ${c.calls}`,
    '',
  ].join('\n');
}

describe('mesh stats from the sidecars', () => {
  it('sums each Deployment inbound and each edge outbound over the window, from the counters increase', async () => {
    const store = new MemoryStore();
    await store.apply(deployment('web', 'web:1', 1));
    await store.apply(deployment('api', 'api:1', 1));
    await store.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await store.apply(pod('web-1', 'web', '127.0.0.1:7001'));
    await store.apply(pod('api-1', 'api', '127.0.0.1:7002'));
    let now = 1_000_000;
    let counters = { ok: 100, failed: 0, fast: 100, calls: 10, callFailures: 0 };
    const scraped: string[] = [];
    const stats = new MeshStats({
      store,
      windowMs: 10_000,
      now: () => now,
      scrape: async (url) => {
        scraped.push(url);
        if (url.includes('7002')) throw new Error('connection refused');
        return exposition(counters);
      },
    });
    await stats.sample();
    // 2 s later: 40 more responses, 10 of them failures and 20 slower than 10 ms; 8 more calls, 2 failed
    now += 2_000;
    counters = { ok: 130, failed: 10, fast: 120, calls: 18, callFailures: 2 };
    await stats.sample();

    expect(scraped).toContain('http://127.0.0.1:7001/metrics');
    const snap = stats.snapshot();
    const web = snap.workloads.find((w) => w.deployment === 'web')!;
    expect(web).toMatchObject({ namespace: NS, services: ['web'], pods: 1, meshed: 1, successRate: 75, rps: 20 });
    expect(web.p50).toBeLessThanOrEqual(10);
    expect(web.p99).toBeGreaterThan(10);
    // the api pod's sidecar did not answer: known, not meshed, no figures
    expect(snap.workloads.find((w) => w.deployment === 'api')).toEqual({
      namespace: NS,
      deployment: 'api',
      services: [],
      pods: 1,
      meshed: 0,
    });
    expect(snap.edges).toEqual([
      expect.objectContaining({
        namespace: NS,
        deployment: 'web',
        dstNamespace: NS,
        dstService: 'api',
        dstDeployment: 'api',
        successRate: 75,
        rps: 4,
      }),
    ]);
    expect(stats.deployment(NS, 'web')).toMatchObject({ successRate: 75, rps: 20 });

    // past the window nothing is left to compare: no figures rather than stale ones
    now += 30_000;
    expect(stats.deployment(NS, 'web')).toEqual({});
  });

  it('forgets a pod that left the store', async () => {
    const store = new MemoryStore();
    await store.apply(deployment('web', 'web:1', 1));
    await store.apply(pod('web-1', 'web', '127.0.0.1:7001'));
    let now = 0;
    const stats = new MeshStats({
      store,
      now: () => now,
      scrape: async () => exposition({ ok: now / 100, failed: 0, fast: 0, calls: 0, callFailures: 0 }),
    });
    await stats.sample();
    now = 1_000;
    await stats.sample();
    expect(stats.snapshot().workloads[0]).toMatchObject({ meshed: 1, successRate: 100, rps: 10 });
    await store.delete('Pod', NS, 'web-1');
    await stats.sample();
    expect(stats.snapshot().workloads[0]).toEqual({
      namespace: NS,
      deployment: 'web',
      services: [],
      pods: 0,
      meshed: 0,
    });
  });
});
