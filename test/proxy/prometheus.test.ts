import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../proxy/index.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  HOST,
  httpRoute,
  inParallel,
  ManualConfigSource,
  service,
  startEcho,
  type Echo,
  type Reply,
} from './support/harness.js';

/**
 * Flagger's Linkerd queries (reference flagger.md 3.12, `pkg/metrics/observers/linkerd.go`) run unchanged on a
 * real Prometheus (Debian `prometheus`) scraping Weir proxies:
 *
 *   client -> outbound proxy (HTTPRoute podinfo: podinfo-primary 75 / podinfo-canary 25)
 *          -> inbound proxy -> app, one per Deployment (`podinfo-primary`, and the canary `podinfo`)
 *
 * The canary app answers, of every 20 requests it receives, 4 with a 500 and 1 after 220 ms (the others at
 * once): a success rate of 80 % and a p99 in Linkerd's (200, 300] ms bucket. The primary never fails.
 */

const NS = 'test';
/** the canary app's cycle: request numbers (1-based, modulo 20) that fail, and the one that is slow */
const CYCLE = 20;
const FAILING = new Set([5, 10, 15, 0]);
const SLOW = 7;
const SLOW_MS = 220;

/** Flagger's Linkerd builtin queries, as the controller sends them (whitespace collapsed) */
const successRate = (target: string, interval = '1m') =>
  `sum(rate(response_total{namespace="${NS}",deployment=~"${target}",classification!="failure",direction="inbound"}[${interval}])) / sum(rate(response_total{namespace="${NS}",deployment=~"${target}",direction="inbound"}[${interval}])) * 100`;
const latency = (target: string, q = 0.99, interval = '1m') =>
  `histogram_quantile(${q}, sum(rate(response_latency_ms_bucket{namespace="${NS}",deployment=~"${target}",direction="inbound"}[${interval}])) by (le))`;

describe('golden metrics on a real Prometheus: Flagger Linkerd queries over Weir proxies', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  let prom: PrometheusServer;
  let svcPort: number;
  let client: Client;
  let canaryApp: Echo;
  let batch: Reply[] = [];

  async function pod(deployment: string, app: Echo): Promise<InboundProxy> {
    const inbound = await startInboundProxy({
      appHost: HOST,
      appPort: app.port,
      namespace: NS,
      deployment,
      pod: `${deployment}-7d9f8-abcde`,
    });
    cleanup.push(() => inbound.close({ drainMs: 100 }));
    return inbound;
  }

  const send = (n: number, concurrency: number) =>
    inParallel(n, concurrency, () => client.send(svcPort, '/', { headers: { host: `podinfo.${NS}:${svcPort}` } }));

  /** a failed setup (e.g. no prometheus binary) fails every test with its message, rather than skipping them */
  let setupError: unknown;
  beforeEach(() => {
    if (setupError !== undefined) throw setupError;
  });

  beforeAll(async () => {
    try {
      await setup();
    } catch (err) {
      setupError = err;
    }
  }, 120_000);

  async function setup(): Promise<void> {
    let received = 0;
    canaryApp = await startEcho('podinfo', (_req, res) => {
      const n = ++received % CYCLE;
      const answer = (status: number) => {
        res.writeHead(status, { 'content-type': 'text/plain', 'x-served-by': 'podinfo' });
        res.end(status === 200 ? 'ok' : 'boom');
      };
      if (FAILING.has(n)) answer(500);
      else if (n === SLOW) setTimeout(() => answer(200), SLOW_MS);
      else answer(200);
      return true;
    });
    const primaryApp = await startEcho('podinfo-primary');
    cleanup.push(
      () => canaryApp.close(),
      () => primaryApp.close(),
    );
    const canaryIn = await pod('podinfo', canaryApp);
    const primaryIn = await pod('podinfo-primary', primaryApp);

    svcPort = await freePort();
    const primaryPort = await freePort();
    const canaryPort = await freePort();
    const apex = service('podinfo', svcPort, NS);
    const primarySvc = service('podinfo-primary', primaryPort, NS);
    const canarySvc = service('podinfo-canary', canaryPort, NS);
    const source = new ManualConfigSource({
      services: [apex, primarySvc, canarySvc],
      httpRoutes: [
        httpRoute(
          'podinfo',
          'podinfo',
          [{ backendRefs: [backend('podinfo-primary', primaryPort, 75), backend('podinfo-canary', canaryPort, 25)] }],
          NS,
        ),
      ],
      endpoints: [
        endpoints(primarySvc, [
          { port: primaryIn.port, deployment: 'podinfo-primary', pod: 'podinfo-primary-7d9f8-abcde' },
        ]),
        endpoints(canarySvc, [{ port: canaryIn.port, deployment: 'podinfo', pod: 'podinfo-7d9f8-abcde' }]),
        endpoints(apex, [{ port: primaryIn.port, deployment: 'podinfo-primary', pod: 'podinfo-primary-7d9f8-abcde' }]),
      ],
    });
    // the client's sidecar puts only its namespace on its series; Prometheus adds deployment and pod (relabelling)
    const outbound: OutboundProxy = await startOutboundProxy({ configSource: source, namespace: NS });
    client = new Client();
    cleanup.push(
      () => outbound.close({ drainMs: 100 }),
      () => client.close(),
    );

    // Warm-up before Prometheus starts: every series (success, failure, each bucket) already exists at the
    // first scrape, with the same proportions as the measured batch, so rate() over it is exact.
    const warm = await send(4 * CYCLE, 1);
    expect(warm.filter((r) => r.headers['x-served-by'] === 'podinfo')).toHaveLength(CYCLE);

    prom = await startPrometheus({
      targets: [
        {
          address: `${HOST}:${canaryIn.adminPort}`,
          labels: {
            __meta_weir_namespace: NS,
            __meta_weir_deployment: 'podinfo',
            __meta_weir_pod: 'podinfo-7d9f8-abcde',
          },
        },
        {
          address: `${HOST}:${primaryIn.adminPort}`,
          labels: {
            __meta_weir_namespace: NS,
            __meta_weir_deployment: 'podinfo-primary',
            __meta_weir_pod: 'podinfo-primary-7d9f8-abcde',
          },
        },
        {
          address: `${HOST}:${outbound.adminPort}`,
          labels: { __meta_weir_namespace: NS, __meta_weir_deployment: 'loadtester', __meta_weir_pod: 'loadtester-1' },
        },
      ],
      scrapeIntervalSeconds: 1,
    });
    cleanup.push(() => prom.stop());
    const canaryResponses = `sum(response_total{namespace="${NS}",deployment="podinfo",direction="inbound"})`;
    await prom.waitFor(canaryResponses, (v) => v === CYCLE);

    // the measured batch: 400 requests, 4 at a time; the 25 % split sends 100 to the canary (5 cycles)
    batch = await send(20 * CYCLE, 4);
    await prom.waitFor(canaryResponses, (v) => v === 6 * CYCLE);
    await prom.waitFor(`sum(response_total{direction="outbound"})`, (v) => v === 24 * CYCLE);
  }

  afterAll(async () => {
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch {
        // keep closing the rest
      }
    }
  }, 60_000);

  it('sends the known outcomes: 100 canary requests, 20 of them 500s; the primary never fails', () => {
    const canary = batch.filter((r) => r.headers['x-served-by'] === 'podinfo');
    const primary = batch.filter((r) => r.headers['x-served-by'] === 'podinfo-primary');
    expect(canary).toHaveLength(5 * CYCLE);
    expect(primary).toHaveLength(15 * CYCLE);
    expect(canary.filter((r) => r.status === 500)).toHaveLength(20);
    expect(primary.every((r) => r.status === 200)).toBe(true);
  });

  it("Flagger's request-success-rate query gives the canary's success rate, the primary excluded by the anchored regex", async () => {
    // tolerance: 0.5 percentage points (the expected value is exact: 80 of every 100 succeed)
    expect(Math.abs((await prom.value(successRate('podinfo')))! - 80)).toBeLessThanOrEqual(0.5);
    expect(await prom.value(successRate('podinfo-primary'))).toBe(100);
  });

  it("Flagger's request-duration query puts the canary's p99 among the slow answers' buckets, above 200 ms", async () => {
    const p99 = await prom.value(latency('podinfo'));
    expect(p99).toBeGreaterThan(200);
    // Linkerd's (200, 300] bucket on a quiet machine; a loaded one pushes the top percent a bucket or two
    // later (the quantile then interpolates up to the bucket's bound plus float rounding)
    expect(p99).toBeLessThanOrEqual(500 + 1e-6);
    // the median is one of the immediate answers
    expect(await prom.value(latency('podinfo', 0.5))).toBeLessThanOrEqual(50);
    // the primary has no slow answers
    expect(await prom.value(latency('podinfo-primary'))).toBeLessThanOrEqual(200);
  });

  it('a target without traffic has no data (NaN/empty), which Flagger reports as "no values found"', async () => {
    expect(await prom.value(successRate('nosuch'))).toBeUndefined();
    expect(await prom.value(latency('nosuch'))).toBeUndefined();
  });

  it("keeps the proxies' own labels (honor_labels) and adds the relabelled ones where a proxy has none", async () => {
    const inbound = await prom.query(`response_total{direction="inbound",deployment="podinfo"}`);
    expect(inbound.length).toBeGreaterThanOrEqual(2);
    for (const s of inbound) {
      expect(s.metric).toMatchObject({ namespace: NS, deployment: 'podinfo', pod: 'podinfo-7d9f8-abcde' });
      expect(Object.keys(s.metric).filter((k) => k.startsWith('exported_'))).toEqual([]);
    }
    expect(new Set(inbound.map((s) => s.metric.classification))).toEqual(new Set(['success', 'failure']));
    // the outbound proxy sets no deployment/pod itself: Prometheus relabelling supplies them, as for Linkerd
    const outbound = await prom.query(`sum by (deployment, pod) (response_total{direction="outbound"})`);
    expect(outbound.map((s) => s.metric)).toEqual([{ deployment: 'loadtester', pod: 'loadtester-1' }]);
  });

  it('per backend on the outbound side: the split and each backend success rate', async () => {
    const share = await prom.value(
      `sum(rate(response_total{direction="outbound",dst_service="podinfo-canary"}[1m])) / sum(rate(response_total{direction="outbound",dst_service=~"podinfo-(primary|canary)"}[1m])) * 100`,
    );
    expect(Math.abs(share! - 25)).toBeLessThanOrEqual(0.5);
    const byBackend = await prom.query(
      `sum by (dst_deployment) (rate(response_total{direction="outbound",classification!="failure"}[1m])) / sum by (dst_deployment) (rate(response_total{direction="outbound"}[1m])) * 100`,
    );
    const rates = Object.fromEntries(byBackend.map((s) => [s.metric.dst_deployment, s.value]));
    expect(Object.keys(rates).sort()).toEqual(['podinfo', 'podinfo-primary']);
    expect(Math.abs(rates.podinfo! - 80)).toBeLessThanOrEqual(0.5);
    expect(rates['podinfo-primary']).toBe(100);
    // the outbound latency histogram carries the same slow answers, seen from the client side
    const p99 = await prom.value(
      `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{direction="outbound",dst_deployment="podinfo"}[1m])) by (le))`,
    );
    // (the slow answers take 220 ms at the app; on a busy machine the client side may see them a bucket later)
    expect(p99).toBeGreaterThan(200);
    expect(p99).toBeLessThanOrEqual(1000 + 1e-6);
  });
});
