import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { ANNOTATION_ADMIN_PORT, canarySchema, type Canary, type CanaryMetric } from '../../engine/resources/index.js';
import { ManualClock, MeshMetricsProvider } from '../../rollouts/index.js';
import { canary, deployment, NS } from './fixtures.js';

/** a sidecar admin endpoint whose counters the test moves */
class FakeSidecar {
  success = 0;
  failure = 0;
  /** cumulative bucket counts by le */
  buckets: Record<string, number> = { '10': 0, '50': 0, '100': 0, '500': 0, '+Inf': 0 };
  scrapes = 0;
  server: Server = createServer((req, res) => {
    this.scrapes++;
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(this.text());
  });

  /** n responses with a latency in a bucket (ms upper bound), some failing */
  serve(n: number, le: string, failures = 0): void {
    this.success += n - failures;
    this.failure += failures;
    const bounds = Object.keys(this.buckets);
    const from = bounds.indexOf(le);
    bounds.forEach((b, i) => {
      if (i >= from) this.buckets[b]! += n;
    });
  }

  restart(): void {
    this.success = 0;
    this.failure = 0;
    for (const k of Object.keys(this.buckets)) this.buckets[k] = 0;
  }

  text(): string {
    const l = 'direction="inbound",namespace="test",deployment="podinfo",pod="podinfo-a",authority="podinfo.test:9898"';
    return [
      '# TYPE response_total counter',
      `response_total{${l},classification="success",status_code="200"} ${this.success}`,
      `response_total{${l},classification="failure",status_code="500"} ${this.failure}`,
      `response_total{direction="outbound",classification="failure",status_code="502"} 1000`,
      '# TYPE response_latency_ms histogram',
      ...Object.entries(this.buckets).map(([le, v]) => `response_latency_ms_bucket{${l},le="${le}"} ${v}`),
      `response_latency_ms_sum{${l}} 0`,
      `response_latency_ms_count{${l}} ${this.buckets['+Inf']}`,
      '',
    ].join('\n');
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const metric = (name: string, interval = '1m'): CanaryMetric => ({ name, interval }) as CanaryMetric;

describe('mesh metrics provider', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let sidecar: FakeSidecar;
  let primarySidecar: FakeSidecar;
  let provider: MeshMetricsProvider;
  let cr: Canary;

  const pod = (name: string, app: string, adminPort: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app }, annotations: { [ANNOTATION_ADMIN_PORT]: String(adminPort) } },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = new MemoryStore(() => clock.now());
    sidecar = new FakeSidecar();
    primarySidecar = new FakeSidecar();
    const port = await sidecar.listen();
    const primaryPort = await primarySidecar.listen();
    await store.apply(deployment('podinfo', 'podinfo:6.0.1'));
    await store.apply({ ...deployment('podinfo-primary', 'podinfo:6.0.0') });
    await store.apply(pod('podinfo-a', 'podinfo', port));
    await store.apply(pod('podinfo-primary-a', 'podinfo-primary', primaryPort));
    cr = canarySchema.parse(canary());
    provider = new MeshMetricsProvider({ store, clock, pollIntervalMs: 1_000 });
  });

  afterEach(async () => {
    provider.close();
    await sidecar.close();
    await primarySidecar.close();
  });

  const q = (name: string, windowMs = 60_000) => provider.query({ canary: cr, metric: metric(name), windowMs });

  it("compares the canary pods with the primary pods from the canary's first response on, one look per query", async () => {
    const cmp = (name: string) => provider.compare({ canary: cr, metric: metric(name), windowMs: 60_000 });
    const withCompare = canarySchema.parse(canary());
    withCompare.spec.analysis!.metrics = [
      metric('weir-compare-latency'),
      { ...metric('weir-compare-errors'), query: 'min=50' } as CanaryMetric,
    ];
    cr = withCompare;
    // what the primary answered before this run (and before the canary's first response) is not compared
    primarySidecar.serve(1000, '500', 500);
    expect((await cmp('weir-compare-latency')).line).toContain('fewer than 100 responses on a side: undecided');
    primarySidecar.serve(1000, '500', 500);
    await clock.advance(1_000);
    await cmp('weir-compare-latency');
    // now both sides answer: the canary slower (50-100 ms against 0-10 ms), no more errors than the primary
    sidecar.serve(150, '100');
    primarySidecar.serve(300, '10');
    await clock.advance(1_000);
    const latency = await cmp('weir-compare-latency');
    expect(latency.verdict).toBe('worse');
    expect(latency.line).toMatch(
      /^canary p50 \d+ms p99 \d+ms vs primary p50 \d+ms p99 \d+ms, P\(canary slower\)=1\.00 \(n=150 vs 300\)/,
    );
    const errors = await cmp('weir-compare-errors');
    expect(errors.line).toMatch(/^canary errors 0\.00% \(0\/150\) vs primary 0\.00% \(0\/300\) \(n=150 vs 300\)/);
    expect(errors.verdict).not.toBe('worse');
    // a new revision is a new run
    cr = { ...cr, status: { ...cr.status, lastAppliedSpec: 'another' } } as Canary;
    expect((await cmp('weir-compare-latency')).verdict).toBe('undecided');
  });

  it('answers success rate and p99 over the window from the canary pods only', async () => {
    // first query: one sample only, no rate yet
    expect(await q('request-success-rate')).toBeUndefined();
    sidecar.serve(90, '10');
    sidecar.serve(10, '100', 5);
    primarySidecar.serve(1000, '500', 1000); // the primary's failures must not count
    await clock.advance(10_000);
    // 95 of 100 succeeded
    expect(await q('request-success-rate')).toBeCloseTo(95, 10);
    // rank 99 of 100: bucket (50,100] holds 10 (90..100): 50 + 50 * 9/10 = 95
    expect(await q('request-duration')).toBeCloseTo(95, 10);
  });

  it('no traffic in the window is no data; samples older than the window are left out', async () => {
    await q('request-success-rate');
    sidecar.serve(100, '10', 50);
    await clock.advance(10_000);
    expect(await q('request-success-rate')).toBeCloseTo(50, 10);
    // 30 s later with no traffic: the 10 s window holds two samples with no increase
    await clock.advance(30_000);
    await q('request-success-rate', 10_000);
    await clock.advance(5_000);
    expect(await q('request-success-rate', 10_000)).toBeUndefined();
    expect(await q('request-duration', 10_000)).toBeUndefined();
    // the 1m window still sees the failures
    expect(await q('request-success-rate', 60_000)).toBeCloseTo(50, 10);
  });

  it('samples in the background while tracked, and handles a restarted sidecar', async () => {
    provider.track(cr, true);
    await clock.advance(0);
    const before = sidecar.scrapes;
    sidecar.serve(10, '10');
    await clock.advance(3_000);
    expect(sidecar.scrapes).toBeGreaterThanOrEqual(before + 3);
    sidecar.restart();
    sidecar.serve(4, '50', 1);
    await clock.advance(1_000);
    // 10 before the restart + 4 after it, 1 failure
    expect(await q('request-success-rate', 10_000)).toBeCloseTo((13 / 14) * 100, 10);
    provider.track(cr, false);
    const after = sidecar.scrapes;
    await clock.advance(5_000);
    expect(sidecar.scrapes).toBe(after);
  });

  it('golden() per deployment, with rps', async () => {
    await provider.golden({ namespace: NS, deployment: 'podinfo-primary', windowMs: 10_000 });
    primarySidecar.serve(50, '10');
    await clock.advance(5_000);
    const g = await provider.golden({ namespace: NS, deployment: 'podinfo-primary', windowMs: 10_000 });
    expect(g.successRate).toBe(100);
    expect(g.rps).toBeCloseTo(10, 10);
    expect(g.p99).toBeCloseTo(9.9, 10);
    expect(await provider.golden({ namespace: NS, deployment: 'missing', windowMs: 10_000 })).toEqual({});
  });

  it('a sidecar that cannot be scraped gives no data, not an error', async () => {
    await sidecar.close();
    sidecar = new FakeSidecar();
    await sidecar.listen();
    expect(await q('request-success-rate')).toBeUndefined();
  });

  it('supports only the builtin metrics', () => {
    expect(provider.supports(metric('request-success-rate'))).toBe(true);
    expect(provider.supports(metric('request-duration'))).toBe(true);
    expect(provider.supports({ ...metric('request-duration'), templateRef: { name: 'x' } } as CanaryMetric)).toBe(
      false,
    );
    expect(provider.supports(metric('error-rate'))).toBe(false);
  });
});
