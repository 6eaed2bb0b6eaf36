import { afterEach, describe, expect, it } from 'vitest';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../proxy/index.js';
import { LATENCY_BUCKETS_MS } from '../../proxy/metrics.js';
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
} from './support/harness.js';
import { parsePrometheusText, select, total, type ParsedMetrics } from './support/prom.js';

/** client -> outbound proxy -> inbound proxy (one per pod) -> app */
describe('a meshed request: outbound and inbound proxies chained, golden metrics on both sides', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  async function pod(deployment: string): Promise<{ app: Echo; inbound: InboundProxy }> {
    const app = await startEcho(deployment);
    const inbound = await startInboundProxy({
      appHost: HOST,
      appPort: app.port,
      namespace: 'test',
      deployment,
      pod: `${deployment}-7d9f8-abcde`,
      listenHost: HOST,
      listenPort: 0,
      adminPort: 0,
    });
    cleanup.push(
      () => app.close(),
      () => inbound.close({ drainMs: 100 }),
    );
    return { app, inbound };
  }

  async function scrape(client: Client, adminPort: number): Promise<ParsedMetrics> {
    const reply = await client.get(adminPort, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(reply.body);
  }

  function expectHistogramConsistent(m: ParsedMetrics, where: Record<string, string>) {
    const buckets = select(m, 'response_latency_ms_bucket', where);
    const byStatus = new Map<string, number[]>();
    for (const b of buckets) {
      const key = JSON.stringify({ ...b.labels, le: undefined });
      byStatus.set(key, [...(byStatus.get(key) ?? []), b.value]);
    }
    for (const values of byStatus.values()) {
      expect(values).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    }
    const infTotal = total(m, 'response_latency_ms_bucket', { ...where, le: '+Inf' });
    expect(total(m, 'response_latency_ms_count', where)).toBe(infTotal);
    expect(total(m, 'response_total', where)).toBe(infTotal);
  }

  it('forwards through both proxies and both count requests, statuses and latency', async () => {
    const primary = await pod('podinfo-primary');
    const canary = await pod('podinfo-canary');
    const svcPort = await freePort();
    const primaryPort = await freePort();
    const canaryPort = await freePort();
    const podinfo = service('podinfo', svcPort, 'test');
    const podinfoPrimary = service('podinfo-primary', primaryPort, 'test');
    const podinfoCanary = service('podinfo-canary', canaryPort, 'test');
    const ep = (svc: typeof podinfo, p: { inbound: InboundProxy }, deployment: string) =>
      endpoints(svc, [{ port: p.inbound.port, deployment, pod: `${deployment}-7d9f8-abcde` }]);
    const source = new ManualConfigSource({
      services: [podinfo, podinfoPrimary, podinfoCanary],
      httpRoutes: [
        httpRoute(
          'podinfo',
          'podinfo',
          [{ backendRefs: [backend('podinfo-primary', primaryPort, 75), backend('podinfo-canary', canaryPort, 25)] }],
          'test',
        ),
      ],
      endpoints: [
        ep(podinfo, primary, 'podinfo-primary'),
        ep(podinfoPrimary, primary, 'podinfo-primary'),
        ep(podinfoCanary, canary, 'podinfo-canary'),
      ],
    });
    const outbound: OutboundProxy = await startOutboundProxy({
      configSource: source,
      namespace: 'test',
      deployment: 'loadtester',
      pod: 'loadtester-1',
    });
    const client = new Client();
    cleanup.push(
      () => outbound.close({ drainMs: 100 }),
      () => client.close(),
    );

    // 80 requests one after the other: 60 primary / 20 canary (3:1 as a a b a); every 5th asks the app
    // for a 503, so 4 of the canary's 20 and 12 of the primary's 60 fail
    const replies = await inParallel(80, 1, (i) =>
      client.send(svcPort, i % 5 === 4 ? '/status/503' : '/hello', { headers: { host: `podinfo.test:${svcPort}` } }),
    );
    const served = (name: string) => replies.filter((r) => r.headers['x-served-by'] === name).length;
    expect(served('podinfo-primary')).toBe(60);
    expect(served('podinfo-canary')).toBe(20);
    const failures = replies.filter((r) => r.status === 503).length;
    expect(failures).toBe(16);
    // the app's own 503 is not a proxy error
    expect(replies.every((r) => r.headers['weir-proxy-error'] === undefined)).toBe(true);

    // inbound of the canary pod: what Flagger's Linkerd queries read
    const canaryIn = await scrape(client, canary.inbound.adminPort);
    const canaryLabels = { direction: 'inbound', namespace: 'test', deployment: 'podinfo-canary' };
    expect(total(canaryIn, 'request_total', canaryLabels)).toBe(20);
    const canaryOk = total(canaryIn, 'response_total', {
      ...canaryLabels,
      classification: 'success',
      status_code: '200',
    });
    const canaryFail = total(canaryIn, 'response_total', {
      ...canaryLabels,
      classification: 'failure',
      status_code: '503',
    });
    expect(canaryOk).toBe(16);
    expect(canaryFail).toBe(4);
    const sample = select(canaryIn, 'request_total', canaryLabels)[0]!;
    expect(sample.labels).toMatchObject({ pod: 'podinfo-canary-7d9f8-abcde', authority: `podinfo.test:${svcPort}` });
    expectHistogramConsistent(canaryIn, canaryLabels);
    expect(canaryIn.types).toMatchObject({
      request_total: 'counter',
      response_total: 'counter',
      response_latency_ms: 'histogram',
    });

    const primaryIn = await scrape(client, primary.inbound.adminPort);
    const primaryLabels = { direction: 'inbound', deployment: 'podinfo-primary' };
    expect(total(primaryIn, 'request_total', primaryLabels)).toBe(60);
    expect(
      total(primaryIn, 'response_total', { ...primaryLabels, classification: 'failure', status_code: '503' }),
    ).toBe(12);
    // Flagger's success rate: non-failures / all * 100
    const primaryRate =
      (100 * total(primaryIn, 'response_total', { ...primaryLabels, classification: 'success' })) /
      total(primaryIn, 'response_total', primaryLabels);
    expect(primaryRate).toBe(80);
    expectHistogramConsistent(primaryIn, primaryLabels);

    // outbound: one series per destination, with dst_* labels from the endpoints
    const out = await scrape(client, outbound.adminPort);
    const outLabels = {
      direction: 'outbound',
      namespace: 'test',
      deployment: 'loadtester',
      authority: `podinfo.test.svc.cluster.local:${svcPort}`,
    };
    expect(total(out, 'request_total', outLabels)).toBe(80);
    expect(
      total(out, 'request_total', { ...outLabels, dst_service: 'podinfo-canary', dst_deployment: 'podinfo-canary' }),
    ).toBe(20);
    expect(
      total(out, 'request_total', {
        ...outLabels,
        dst_service: 'podinfo-primary',
        dst_deployment: 'podinfo-primary',
        dst_namespace: 'test',
      }),
    ).toBe(60);
    expect(total(out, 'response_total', { ...outLabels, classification: 'failure', status_code: '503' })).toBe(16);
    expect(total(out, 'response_total', { ...outLabels, classification: 'success', status_code: '200' })).toBe(64);
    expectHistogramConsistent(out, outLabels);
  });

  it('counts proxy errors as failures on the outbound side', async () => {
    const port = await freePort();
    const web = service('web', port, 'test');
    const source = new ManualConfigSource({
      services: [web],
      httpRoutes: [],
      endpoints: [endpoints(web, [{ port: await freePort(), deployment: 'web' }])],
    });
    const outbound = await startOutboundProxy({ configSource: source, namespace: 'test' });
    const client = new Client();
    cleanup.push(
      () => outbound.close({ drainMs: 100 }),
      () => client.close(),
    );
    for (let i = 0; i < 3; i++) expect((await client.send(port, '/')).status).toBe(502);
    const m = await scrape(client, outbound.adminPort);
    expect(
      total(m, 'response_total', {
        direction: 'outbound',
        dst_service: 'web',
        classification: 'failure',
        status_code: '502',
      }),
    ).toBe(3);
    expect(total(m, 'response_total', { classification: 'success' })).toBe(0);
  });

  it('POST /shutdown drains an in-flight slow request, then stops accepting', async () => {
    const { app, inbound } = await pod('slow');
    const client = new Client();
    cleanup.push(() => client.close());
    const admin = await client.get(inbound.adminPort, '/ready');
    expect(admin.status).toBe(200);
    expect((await client.get(inbound.adminPort, '/live')).status).toBe(200);
    expect((await client.get(inbound.adminPort, '/shutdown')).status).toBe(405);

    const slow = client.send(inbound.port, '/slow?ms=300');
    // wait until the app has the request
    for (let i = 0; i < 100 && app.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    const shutdown = await client.send(inbound.adminPort, '/shutdown', { method: 'POST' });
    expect(shutdown.status).toBe(200);
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).url).toBe('/slow?ms=300');
    await inbound.close(); // the same close /shutdown started
    expect(Date.now() - started).toBeLessThan(5_000);
    const fresh = new Client();
    cleanup.push(() => fresh.close());
    await expect(fresh.send(inbound.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    await expect(fresh.send(inbound.adminPort, '/live')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() on the outbound proxy drains in-flight requests too', async () => {
    const app = await startEcho('web');
    cleanup.push(() => app.close());
    const port = await freePort();
    const web = service('web', port);
    const source = new ManualConfigSource({
      services: [web],
      httpRoutes: [],
      endpoints: [endpoints(web, [{ port: app.port }])],
    });
    const outbound = await startOutboundProxy({ configSource: source });
    const client = new Client();
    cleanup.push(() => client.close());
    const slow = client.send(port, '/slow?ms=200');
    for (let i = 0; i < 100 && app.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await outbound.close({ drainMs: 5_000 });
    expect((await slow).status).toBe(200);
    expect(outbound.listeners()).toEqual([]);
  });
});
