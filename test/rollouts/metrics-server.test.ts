import { afterEach, describe, expect, it } from 'vitest';
import type { Canary } from '../../engine/resources/index.js';
import { ControllerMetrics } from '../../rollouts/index.js';
import { processMetricsRegistry, startMetricsServer, type MetricsServer } from '../../rollouts/metrics-server.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { canary } from './fixtures.js';

describe("the controller's admin port", () => {
  let server: MetricsServer | undefined;
  let prom: PrometheusServer | undefined;
  afterEach(async () => {
    await prom?.stop();
    await server?.close();
    prom = undefined;
    server = undefined;
  });

  async function serve(): Promise<{ metrics: ControllerMetrics; server: MetricsServer }> {
    const metrics = new ControllerMetrics();
    metrics.setInfo('0.1.0', 'gatewayapi:v1');
    const c = canary({ stepWeight: 10, maxWeight: 50 }) as Canary;
    metrics.setTotal([c]);
    metrics.observeTick(
      c,
      { phase: 'Initialized', canaryWeight: 0, failedChecks: 0, iterations: 0, conditions: [] },
      { phase: 'Progressing', canaryWeight: 10, failedChecks: 0, iterations: 0, conditions: [] },
      { primary: 90, canary: 10 },
      undefined,
      0.02,
    );
    server = await startMetricsServer({ registries: [metrics.registry, processMetricsRegistry()] });
    return { metrics, server };
  }

  it("serves flagger_info, Flagger's canary metrics and process metrics at /metrics, and /healthz", async () => {
    const { server } = await serve();
    const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE flagger_info gauge');
    expect(text).toContain('flagger_info{version="0.1.0",mesh_provider="gatewayapi:v1"} 1');
    expect(text).toContain('flagger_canary_total{namespace="test"} 1');
    expect(text).toContain('flagger_canary_status{name="podinfo",namespace="test"} 0');
    expect(text).toContain('flagger_canary_weight{workload="podinfo-primary",namespace="test"} 90');
    expect(text).toContain('flagger_canary_weight{workload="podinfo",namespace="test"} 10');
    expect(text).toContain('flagger_canary_duration_seconds_count{name="podinfo",namespace="test"} 1');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('is scraped by a real Prometheus', async () => {
    const { server } = await serve();
    prom = await startPrometheus({ targets: [{ address: server.url.replace('http://', '') }] });
    const info = await prom.waitFor('flagger_info{mesh_provider="gatewayapi:v1"}', (v) => v === 1, 30_000);
    expect(info).toBe(1);
    expect(await prom.value('flagger_canary_weight{workload="podinfo"}')).toBe(10);
    expect(await prom.value('process_start_time_seconds')).toBeGreaterThan(0);
  }, 90_000);
});
