import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { evaluateMetric, type MetricObservation } from '../../engine/analysis/index.js';
import { canarySchema, type Canary, type CanaryMetric, type KubeObject } from '../../engine/resources/index.js';
import { startInboundProxy } from '../../proxy/index.js';
import { ManualClock, MeshMetricsProvider, observeMetrics, startCanaryController } from '../../rollouts/index.js';
import {
  LINKERD_BUILTIN_QUERIES,
  PrometheusMetricsProvider,
  trimQuery,
} from '../../rollouts/metrics/prometheus-provider.js';
import { Client, HOST, inParallel, startEcho } from '../proxy/support/harness.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { canary, deployment, fakeRuntime, NS, status, weights } from './fixtures.js';

/** Flagger's Linkerd tutorial MetricTemplates (docs/gitbook/tutorials/linkerd-progressive-delivery.md) */
const flaggerLinkerdTemplates = (address: string) => `
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: success-rate
  namespace: test
spec:
  provider:
    type: prometheus
    address: ${address}
  query: |
    sum(
      rate(
        response_total{
          namespace="{{ namespace }}",
          deployment=~"{{ target }}",
          classification!="failure",
          direction="{{ variables.direction }}"
        }[{{ interval }}]
      )
    )
    /
    sum(
      rate(
        response_total{
          namespace="{{ namespace }}",
          deployment=~"{{ target }}",
          direction="{{ variables.direction }}"
        }[{{ interval }}]
      )
    )
    * 100
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: latency
  namespace: test
spec:
  provider:
    type: prometheus
    address: ${address}
  query: |
    histogram_quantile(
        0.99,
        sum(
            rate(
                response_latency_ms_bucket{
                    namespace="{{ namespace }}",
                    deployment=~"{{ target }}",
                    direction="{{ variables.direction }}"
                    }[{{ interval }}]
                )
            ) by (le)
        )
`;

/** the Canary's metrics of the same tutorial */
const tutorialMetrics = [
  {
    name: 'success-rate',
    templateRef: { name: 'success-rate', namespace: 'test' },
    thresholdRange: { min: 99 },
    interval: '1m',
    templateVariables: { direction: 'inbound' },
  },
  {
    name: 'latency',
    templateRef: { name: 'latency', namespace: 'test' },
    thresholdRange: { max: 500 },
    interval: '30s',
    templateVariables: { direction: 'inbound' },
  },
];

const subject = { canary: 'podinfo', namespace: NS, target: 'podinfo' };
/**
 * The highest p99 a latency check may read: the slow answers (220 ms at the app) fall in Linkerd's (200, 300]
 * bucket on a quiet machine; a loaded one can push the top percent into the next buckets (up to 500, the
 * quantile then interpolates to 500 plus float rounding).
 */
const BUSY_BOUND_MS = 500 + 1e-6;

function metricOf(c: Canary, name: string): CanaryMetric {
  const m = c.spec.analysis?.metrics?.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
}

async function observe(
  provider: PrometheusMetricsProvider,
  c: Canary,
  metric: CanaryMetric,
): Promise<MetricObservation> {
  try {
    const value = await provider.query({ canary: c, metric, windowMs: 60_000 });
    return value === undefined
      ? { name: metric.name, provider: provider.name }
      : { name: metric.name, value, provider: provider.name };
  } catch (err) {
    return { name: metric.name, error: (err as Error).message, provider: provider.name };
  }
}

interface Seen {
  path: string;
  query: string | null;
  headers: IncomingHttpHeaders;
}

/** A Prometheus HTTP API stand-in: records each request and answers what the test sets. */
class FakePrometheus {
  seen: Seen[] = [];
  status = 200;
  body: unknown = { status: 'success', data: { resultType: 'vector', result: [] } };
  /** never answer (timeouts) */
  hang = false;
  private readonly server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    this.seen.push({ path: url.pathname, query: url.searchParams.get('query'), headers: req.headers });
    if (this.hang) return;
    res.writeHead(this.status, { 'content-type': 'application/json' });
    res.end(typeof this.body === 'string' ? this.body : JSON.stringify(this.body));
  });
  port = 0;

  vector(...values: string[]): void {
    this.body = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1_700_000_000, v] })),
      },
    };
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, HOST, r));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://${HOST}:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('prometheus metrics provider against a fake Prometheus HTTP API', () => {
  let fake: FakePrometheus;
  let address: string;
  let store: MemoryStore;
  let provider: PrometheusMetricsProvider;

  const template = (name: string, spec: Record<string, unknown>, namespace = NS): KubeObject => ({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: { name, namespace },
    spec,
  });
  const secret = (name: string, fields: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    ...fields,
  });
  const canaryWith = (metrics: unknown[], spec: Record<string, unknown> = {}): Canary =>
    canarySchema.parse(canary({ metrics }, spec));
  const run = async (c: Canary, name: string) =>
    provider.query({ canary: c, metric: metricOf(c, name), windowMs: 60_000 });

  beforeEach(async () => {
    fake = new FakePrometheus();
    address = await fake.listen();
    store = new MemoryStore();
    provider = new PrometheusMetricsProvider({ store });
  });
  afterEach(async () => {
    await provider.close();
    await fake.close();
  });

  it('renders the template, sends it to {address}/api/v1/query with the headers and a Bearer token', async () => {
    await store.apply(
      template('errors', {
        provider: {
          type: 'prometheus',
          address: `${address}/prom/`,
          headers: { 'X-Scope-OrgID': ['tenant-a'] },
          secretRef: { name: 'prom-auth' },
        },
        query: `sum(rate(http_requests_total{ns="{{ namespace }}",app="{{ target }}",svc="{{ service }}",
          canary="{{ name }}",code=~"{{ variables.codes }}"}[{{ interval }}]))`,
      }),
    );
    await store.apply(secret('prom-auth', { stringData: { token: 's3cr3t' } }));
    fake.vector('2.5');
    const c = canaryWith(
      [
        {
          name: 'errors',
          templateRef: { name: 'errors' },
          interval: '2m',
          thresholdRange: { max: 1 },
          templateVariables: { codes: '5..' },
        },
      ],
      { service: { name: 'frontend', port: 9898 } },
    );
    expect(await run(c, 'errors')).toBe(2.5);
    expect(fake.seen).toHaveLength(1);
    const req = fake.seen[0]!;
    expect(req.path).toBe('/prom/api/v1/query');
    expect(req.query).toBe(
      'sum(rate(http_requests_total{ns="test",app="podinfo",svc="frontend", canary="podinfo",code=~"5.."}[2m]))',
    );
    expect(req.headers['x-scope-orgid']).toBe('tenant-a');
    expect(req.headers.authorization).toBe('Bearer s3cr3t');
    // and the check that value feeds: 2.5 > 1 fails with Flagger's message
    const verdict = evaluateMetric(subject, metricOf(c, 'errors'), {
      name: 'errors',
      value: 2.5,
      provider: 'prometheus',
    });
    expect(verdict).toMatchObject({ ok: false, message: 'Halt podinfo.test advancement errors 2.50 > 1' });
  });

  it('sends basic credentials from a Secret with base64 data, the template found in its own namespace', async () => {
    await store.apply(
      template(
        'shared',
        { provider: { type: 'prometheus', address, secretRef: { name: 'basic' } }, query: 'vector(7)' },
        'monitoring',
      ),
    );
    await store.apply({
      ...secret('basic', {
        data: {
          username: Buffer.from('flagger').toString('base64'),
          password: Buffer.from('p@ss:word').toString('base64'),
        },
      }),
      metadata: { name: 'basic', namespace: 'monitoring' },
    } as KubeObject);
    fake.vector('7');
    const c = canaryWith([{ name: 'shared', templateRef: { name: 'shared', namespace: 'monitoring' } }]);
    expect(await run(c, 'shared')).toBe(7);
    const auth = fake.seen[0]!.headers.authorization!;
    expect(auth.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(auth.slice('Basic '.length), 'base64').toString()).toBe('flagger:p@ss:word');
  });

  it('fails the query, naming what is missing: template, Secret, credentials, address, template variable', async () => {
    const c = canaryWith([
      { name: 'a', templateRef: { name: 'nope' } },
      { name: 'b', templateRef: { name: 'with-secret' } },
      { name: 'c', templateRef: { name: 'no-address' } },
      { name: 'd', templateRef: { name: 'needs-var' }, templateVariables: { other: 'x' } },
      { name: 'e', templateRef: { name: 'datadog' } },
    ]);
    await expect(run(c, 'a')).rejects.toThrow('MetricTemplate test/nope not found');
    await store.apply(
      template('with-secret', { provider: { type: 'prometheus', address, secretRef: { name: 's' } }, query: '1' }),
    );
    await expect(run(c, 'b')).rejects.toThrow(
      'Secret test/s (MetricTemplate test/with-secret provider.secretRef) not found',
    );
    await store.apply(secret('s', { stringData: { username: 'only-a-user' } }));
    await expect(run(c, 'b')).rejects.toThrow(
      'MetricTemplate test/with-secret: prometheus credentials have neither a token nor a username and a password',
    );
    await store.apply(template('no-address', { provider: { type: 'prometheus' }, query: 'vector(1)' }));
    await expect(run(c, 'c')).rejects.toThrow(
      'MetricTemplate test/no-address has no provider.address and canary test/podinfo sets no spec.metricsServer',
    );
    await store.apply(
      template('needs-var', {
        provider: { type: 'prometheus', address },
        query: 'sum(x{direction="{{ variables.direction }}"})',
      }),
    );
    await expect(run(c, 'd')).rejects.toThrow(/map has no entry for key "direction"/);
    await store.apply(template('datadog', { provider: { type: 'datadog', address }, query: 'avg:x' }));
    await expect(run(c, 'e')).rejects.toThrow(
      'MetricTemplate test/datadog: datadog needs spec.provider.secretRef: a Secret with the key datadog_api_key',
    );
    expect(fake.seen).toHaveLength(0);

    // through the controller's path, the error is a failed check saying why
    const [obs] = await observeMetrics(
      canaryWith([{ name: 'd', templateRef: { name: 'needs-var' }, thresholdRange: { max: 1 } }]),
      [provider],
      new Date(),
    );
    expect(obs).toMatchObject({ name: 'd', provider: 'prometheus' });
    const verdict = evaluateMetric(subject, metricOf(c, 'd'), obs);
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(/^Metric query failed for d: template:1:18: map has no entry for key "direction"/);
  });

  it('uses the canary metricsServer when the template has no address', async () => {
    await store.apply(template('no-address', { provider: { type: 'prometheus' }, query: 'vector(3)' }));
    fake.vector('3');
    const c = canaryWith([{ name: 'c', templateRef: { name: 'no-address' } }], { metricsServer: address });
    expect(await run(c, 'c')).toBe(3);
    expect(fake.seen[0]!.path).toBe('/api/v1/query');
  });

  it('no data: an empty vector or NaN is a failed check with "no values found"', async () => {
    await store.apply(template('t', { provider: { type: 'prometheus', address }, query: 'x' }));
    const c = canaryWith([{ name: 'custom', templateRef: { name: 't' }, thresholdRange: { min: 1 } }]);
    fake.vector();
    expect(await run(c, 'custom')).toBeUndefined();
    fake.vector('NaN');
    expect(await run(c, 'custom')).toBeUndefined();
    const [obs] = await observeMetrics(c, [provider], new Date());
    expect(obs).toEqual({ name: 'custom', provider: 'prometheus' });
    expect(evaluateMetric(subject, metricOf(c, 'custom'), obs)).toMatchObject({
      ok: false,
      noData: true,
      message: 'Halt advancement no values found for custom metric: custom: no values found',
    });
  });

  it('reads a scalar, the first sample of a vector, +Inf; reports HTTP, API and range-vector errors', async () => {
    await store.apply(template('t', { provider: { type: 'prometheus', address }, query: 'x' }));
    const c = canaryWith([{ name: 't', templateRef: { name: 't' } }]);
    fake.body = { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000, '0.25'] } };
    expect(await run(c, 't')).toBe(0.25);
    fake.vector('1', '2');
    expect(await run(c, 't')).toBe(1);
    fake.vector('+Inf');
    expect(await run(c, 't')).toBe(Infinity);
    fake.status = 400;
    fake.body = { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' };
    await expect(run(c, 't')).rejects.toThrow(/HTTP 400: .*parse error at char 3/);
    fake.status = 200;
    fake.body = { status: 'success', data: { resultType: 'matrix', result: [] } };
    await expect(run(c, 't')).rejects.toThrow(/range vector/);
    fake.body = 'not json';
    await expect(run(c, 't')).rejects.toThrow(/not JSON/);
  });

  it('gives up after the timeout (Flagger: 5 s)', async () => {
    provider = new PrometheusMetricsProvider({ store, timeoutMs: 300 });
    await store.apply(template('t', { provider: { type: 'prometheus', address }, query: 'x' }));
    fake.hang = true;
    const started = Date.now();
    await expect(run(canaryWith([{ name: 't', templateRef: { name: 't' } }]), 't')).rejects.toThrow(
      /timed out after 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("runs the deprecated inline query against the canary's metricsServer, as written", async () => {
    fake.vector('4');
    const inline = 'sum(rate(response_total{namespace="test", deployment="podinfo"}[1m]))\n  * 100';
    const c = canaryWith([{ name: '404s', query: inline, threshold: 5 }], { metricsServer: address });
    expect(await run(c, '404s')).toBe(4);
    expect(fake.seen[0]!.query).toBe(trimQuery(inline));
    await expect(run(canaryWith([{ name: '404s', query: inline }]), '404s')).rejects.toThrow(
      'metric 404s has an inline query but canary test/podinfo sets no spec.metricsServer',
    );
  });

  it("answers builtin metrics with Flagger's Linkerd queries only for a canary with a metricsServer", async () => {
    const withServer = canaryWith(
      [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
        { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' },
      ],
      { metricsServer: address },
    );
    const plain = canarySchema.parse(canary());
    const sr = metricOf(withServer, 'request-success-rate');
    expect(provider.supports(sr, withServer)).toBe(true);
    expect(provider.supports(sr, plain)).toBe(false);
    // the controller asks without the canary: builtin names stay with the mesh provider
    expect(provider.supports(sr)).toBe(false);
    expect(provider.supports({ name: 'x', interval: '1m', templateRef: { name: 't' } } as CanaryMetric)).toBe(true);

    fake.vector('99.5');
    expect(await run(withServer, 'request-success-rate')).toBe(99.5);
    expect(await run(withServer, 'request-duration')).toBe(99.5);
    expect(fake.seen.map((s) => s.query)).toEqual([
      'sum(rate(response_total{namespace="test",deployment=~"podinfo", classification!="failure",direction="inbound"}[1m])) / sum(rate(response_total{namespace="test",deployment=~"podinfo", direction="inbound"}[1m])) * 100',
      'histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="test", deployment=~"podinfo",direction="inbound"}[30s])) by (le))',
    ]);
    expect(Object.keys(LINKERD_BUILTIN_QUERIES).sort()).toEqual(['request-duration', 'request-success-rate']);

    // with both providers, as `weir up` wires them: templates go to Prometheus, builtins to the mesh
    const mixed = canaryWith([
      { name: 'request-success-rate', thresholdRange: { min: 99 } },
      { name: 't', templateRef: { name: 't' } },
    ]);
    await store.apply(template('t', { provider: { type: 'prometheus', address }, query: 'x' }));
    const mesh = new MeshMetricsProvider({ store });
    const obs = await observeMetrics(mixed, [provider, mesh], new Date());
    mesh.close();
    expect(obs.map((o) => [o.name, o.provider])).toEqual([
      ['request-success-rate', 'mesh'],
      ['t', 'prometheus'],
    ]);
  });
});

describe('the controller with the prometheus provider', () => {
  it('halts and rolls back a canary whose MetricTemplate check fails, with the value in the events', async () => {
    const fake = new FakePrometheus();
    const address = await fake.listen();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryStore(() => clock.now());
    const runtime = fakeRuntime(store);
    const prometheus = new PrometheusMetricsProvider({ store });
    const mesh = new MeshMetricsProvider({ store, clock });
    const controller = startCanaryController({ store, metrics: [prometheus, mesh], clock });
    try {
      await store.apply({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'MetricTemplate',
        metadata: { name: 'success-rate', namespace: NS },
        spec: {
          provider: { type: 'prometheus', address },
          query: 'sum(rate(response_total{deployment=~"{{ target }}"}[{{ interval }}]))',
        },
      });
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(
        canary({
          threshold: 2,
          metrics: [{ name: 'success-rate', templateRef: { name: 'success-rate' }, thresholdRange: { min: 99 } }],
        }),
      );
      await clock.runDue();
      await clock.advance(10_000);
      expect(status(store)?.phase).toBe('Initialized');
      fake.vector('100');
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      for (let i = 0; i < 3 && (status(store)?.canaryWeight ?? 0) === 0; i++) await clock.advance(10_000);
      expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
      // the next step is taken after a passing check, asked of Prometheus
      await clock.advance(10_000);
      expect(status(store)).toMatchObject({ phase: 'Progressing', canaryWeight: 20, failedChecks: 0 });
      expect(fake.seen.at(-1)?.query).toBe('sum(rate(response_total{deployment=~"podinfo"}[1m]))');

      fake.vector('42.5');
      for (let i = 0; i < 5 && status(store)?.phase !== 'Failed'; i++) await clock.advance(10_000);
      expect(status(store)?.phase).toBe('Failed');
      expect(weights(store)).toEqual([100, 0]);
      const messages = controller.events.messages(NS, 'podinfo');
      expect(messages).toContain('Halt podinfo.test advancement success-rate 42.50 < 99');
    } finally {
      await controller.close();
      runtime.stop();
      mesh.close();
      await prometheus.close();
      await fake.close();
    }
  });
});

/**
 * The provider against a real Prometheus (Debian `prometheus`) scraping a real Weir inbound proxy in front of
 * an app of which 1 request in 5 fails and 1 in 20 answers after 220 ms, with Flagger's Linkerd tutorial
 * MetricTemplates: success rate 80 %, p99 in (200, 300] ms.
 */
describe('prometheus metrics provider against a real Prometheus scraping Weir proxies', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  let prom: PrometheusServer;
  let store: MemoryStore;
  let provider: PrometheusMetricsProvider;

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
    const app = await startEcho('podinfo', (_req, res) => {
      const n = ++received % 20;
      const answer = (status: number) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(String(status));
      };
      if (n % 5 === 0) answer(500);
      else if (n === 7) setTimeout(() => answer(200), 220);
      else answer(200);
      return true;
    });
    cleanup.push(() => app.close());
    const inbound = await startInboundProxy({
      appHost: HOST,
      appPort: app.port,
      namespace: NS,
      deployment: 'podinfo',
      pod: 'podinfo-5d8b9-xkq2p',
    });
    cleanup.push(() => inbound.close({ drainMs: 100 }));
    const client = new Client();
    cleanup.push(() => client.close());
    const send = async (n: number, concurrency: number) => {
      const replies = await inParallel(n, concurrency, () => client.send(inbound.port, '/'));
      return replies.filter((r) => r.status === 500).length;
    };
    // one full cycle before the first scrape, so that every series exists then (rate() is exact)
    expect(await send(20, 1)).toBe(4);
    prom = await startPrometheus({ targets: [{ address: `${HOST}:${inbound.adminPort}` }] });
    cleanup.push(() => prom.stop());
    const responses = `sum(response_total{namespace="${NS}",deployment="podinfo",direction="inbound"})`;
    await prom.waitFor(responses, (v) => v === 20);
    expect(await send(100, 4)).toBe(20);
    await prom.waitFor(responses, (v) => v === 120);

    store = new MemoryStore();
    for (const doc of parseAllDocuments(flaggerLinkerdTemplates(prom.url))) await store.apply(doc.toJS() as KubeObject);
    provider = new PrometheusMetricsProvider({ store });
  }

  afterAll(async () => {
    await provider?.close();
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch {
        // keep closing the rest
      }
    }
  }, 60_000);

  it("Flagger's Linkerd success-rate and latency templates give the right values", async () => {
    const c = canarySchema.parse(canary({ metrics: tutorialMetrics }));
    const sr = await provider.query({ canary: c, metric: metricOf(c, 'success-rate'), windowMs: 60_000 });
    // exact up to float rounding: 80 of every 100 responses succeed
    expect(Math.abs(sr! - 80)).toBeLessThanOrEqual(0.5);
    const p99 = await provider.query({ canary: c, metric: metricOf(c, 'latency'), windowMs: 30_000 });
    // the slow answers take 220 ms at the app: Linkerd's (200, 300] bucket, or a later one on a busy machine
    expect(p99).toBeGreaterThan(200);
    expect(p99).toBeLessThanOrEqual(BUSY_BOUND_MS);
  });

  it('thresholdRange: success rate under min 99 fails the check; latency under max 1000 passes, over max 150 fails', async () => {
    const c = canarySchema.parse(
      canary({ metrics: [tutorialMetrics[0], { ...tutorialMetrics[1], thresholdRange: { max: 1000 } }] }),
    );
    const sr = metricOf(c, 'success-rate');
    const lat = metricOf(c, 'latency');
    const srCheck = evaluateMetric(subject, sr, await observe(provider, c, sr));
    expect(srCheck.ok).toBe(false);
    expect(srCheck.message).toBe('Halt podinfo.test advancement success-rate 80.00 < 99');
    const latCheck = evaluateMetric(subject, lat, await observe(provider, c, lat));
    expect(latCheck).toMatchObject({ ok: true, threshold: { max: 1000 } });

    const strict = canarySchema.parse(
      canary({
        metrics: [
          { ...tutorialMetrics[0], thresholdRange: { min: 75 } },
          { ...tutorialMetrics[1], thresholdRange: { max: 150 } },
        ],
      }),
    );
    expect(
      evaluateMetric(
        subject,
        metricOf(strict, 'success-rate'),
        await observe(provider, strict, metricOf(strict, 'success-rate')),
      ).ok,
    ).toBe(true);
    const slow = evaluateMetric(
      subject,
      metricOf(strict, 'latency'),
      await observe(provider, strict, metricOf(strict, 'latency')),
    );
    expect(slow.ok).toBe(false);
    expect(slow.message).toMatch(/^Halt podinfo\.test advancement latency [2-9]\d\d\.\d\d > 150$/);
  });

  it("builtin metrics with spec.metricsServer use Flagger's Linkerd queries and give the same answers", async () => {
    const c = canarySchema.parse(
      canary(
        {
          metrics: [
            { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
            { name: 'request-duration', thresholdRange: { max: 1000 }, interval: '30s' },
          ],
        },
        { metricsServer: prom.url },
      ),
    );
    const sr = metricOf(c, 'request-success-rate');
    const dur = metricOf(c, 'request-duration');
    const srObs = await observe(provider, c, sr);
    expect(Math.abs(srObs.value! - 80)).toBeLessThanOrEqual(0.5);
    expect(evaluateMetric(subject, sr, srObs).message).toBe('Halt podinfo.test advancement success rate 80.00% < 99%');
    const durObs = await observe(provider, c, dur);
    expect(durObs.value).toBeGreaterThan(200);
    expect(durObs.value).toBeLessThanOrEqual(BUSY_BOUND_MS);
    expect(evaluateMetric(subject, dur, durObs).ok).toBe(true);
  });

  it('a target without traffic is no data: the check fails saying no values were found', async () => {
    const c = canarySchema.parse(
      canary({ metrics: tutorialMetrics }, { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'idle' } }),
    );
    const sr = metricOf(c, 'success-rate');
    const obs = await observe(provider, c, sr);
    expect(obs).toEqual({ name: 'success-rate', provider: 'prometheus' });
    expect(evaluateMetric({ ...subject, target: 'idle' }, sr, obs)).toMatchObject({
      ok: false,
      noData: true,
      message: 'Halt advancement no values found for custom metric: success-rate: no values found',
    });
  });
});
