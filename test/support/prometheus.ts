import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { podPort } from '../../controlplane/runtime/net.js';

/**
 * A real Prometheus (Debian package `prometheus`, `/usr/bin/prometheus`) for one test: its own free port on
 * 127.0.0.1, its own temporary TSDB, a generated config scraping the admin ports of the proxies the test
 * started. CI installs the package; when the binary is missing, `startPrometheus` throws (the test fails,
 * it is not skipped).
 */

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  /** `host:port` of an admin endpoint serving `/metrics` */
  address: string;
  /**
   * target labels; `__meta_weir_namespace`, `__meta_weir_deployment` and `__meta_weir_pod` are relabelled to
   * `namespace`, `deployment` and `pod` as Linkerd's Prometheus does from the Kubernetes pod metadata
   */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** seconds (default 1) */
  scrapeIntervalSeconds?: number;
  /**
   * Linkerd's proxies get `namespace`/`deployment`/`pod` from relabelling; Weir's proxies put them on the
   * series themselves, and `honor_labels: true` keeps theirs on a clash (default true)
   */
  honorLabels?: boolean;
  /** bounds on the start (default 60 s: readiness, then every target up) */
  startTimeoutMs?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** the generated configuration (YAML) */
  readonly config: string;
  /** instant query: the samples of a vector, or one unlabelled sample for a scalar */
  query(promql: string): Promise<PromSample[]>;
  /** the first sample's value, `undefined` when empty or NaN */
  value(promql: string): Promise<number | undefined>;
  /** poll `promql` until `accept(value)` holds (bounded); returns the last value */
  waitFor(promql: string, accept: (v: number | undefined) => boolean, timeoutMs?: number): Promise<number | undefined>;
  /** what Prometheus printed (for failure messages) */
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Prometheus binds it a moment later: outside the ephemeral range (controlplane/runtime/net.ts `podPort`) */
const freePort = (): Promise<number> => podPort();

async function getJson(url: string, timeoutMs = 5_000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. /-/ready)
  }
  return { status: res.status, body };
}

export function prometheusConfig(options: PrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'weir-proxy',
        honor_labels: options.honorLabels ?? true,
        metrics_path: '/metrics',
        static_configs: options.targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
        relabel_configs: [
          // what Linkerd's Prometheus derives from the pod's Kubernetes metadata
          { source_labels: ['__meta_weir_namespace'], regex: '(.+)', target_label: 'namespace', action: 'replace' },
          { source_labels: ['__meta_weir_deployment'], regex: '(.+)', target_label: 'deployment', action: 'replace' },
          { source_labels: ['__meta_weir_pod'], regex: '(.+)', target_label: 'pod', action: 'replace' },
          { source_labels: ['__address__'], target_label: 'instance', action: 'replace' },
        ],
      },
    ],
  });
}

/** Stop a child: SIGTERM, then SIGKILL after `graceMs`. */
async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(
      `the prometheus binary is missing (${PROMETHEUS_BIN}): install the Debian package \`prometheus\` ` +
        '(apt-get install -y --no-install-recommends prometheus) or set PROMETHEUS_BIN',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'weir-prometheus-'));
  const config = prometheusConfig(options);
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = `prometheus exited (${signal ?? String(code)})`;
  });

  // a worker that exits without afterAll (killed, crashed) takes its Prometheus with it
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await terminate(child);
      process.removeListener('exit', onExit);
      await rm(dir, { recursive: true, force: true });
    })());

  const query = async (promql: string): Promise<PromSample[]> => {
    const { status, body } = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const b = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    if (status !== 200 || b.status !== 'success') {
      throw new Error(`prometheus query failed (HTTP ${status}): ${b.error ?? JSON.stringify(body)}\n${promql}`);
    }
    const num = (v: unknown) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
    if (b.data?.resultType === 'scalar') return [{ metric: {}, value: num((b.data.result as unknown[])[1]) }];
    if (b.data?.resultType !== 'vector') throw new Error(`unexpected result type ${String(b.data?.resultType)}`);
    return (b.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({
      metric: s.metric,
      value: num(s.value[1]),
    }));
  };
  const value = async (promql: string): Promise<number | undefined> => {
    const v = (await query(promql))[0]?.value;
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const waitFor = async (
    promql: string,
    accept: (v: number | undefined) => boolean,
    timeoutMs = 30_000,
  ): Promise<number | undefined> => {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    for (;;) {
      last = await value(promql);
      if (accept(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(`waited ${timeoutMs} ms for ${promql}: last value ${String(last)}\n${output}`);
      }
      await sleep(250);
    }
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    const bounded = (what: string) => {
      if (exit) throw new Error(`${exit} while waiting for ${what}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`prometheus: timed out waiting for ${what}:\n${output}`);
    };
    // ready: the TSDB is open and the web handlers answer
    for (;;) {
      bounded('/-/ready');
      const ok = await getJson(`${url}/-/ready`, 2_000).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(200);
    }
    // every target discovered, scraped and up (the scrape manager applies new targets every ~5 s)
    const wanted = new Set(options.targets.map((t) => t.address));
    for (;;) {
      bounded(`targets ${[...wanted].join(', ')} to be up`);
      const { body } = await getJson(`${url}/api/v1/targets?state=active`).catch(() => ({ body: undefined }));
      const active =
        (body as { data?: { activeTargets?: Array<{ scrapeUrl?: string; health?: string }> } } | undefined)?.data
          ?.activeTargets ?? [];
      const up = new Set(
        active.filter((t) => t.health === 'up').map((t) => (t.scrapeUrl ? new URL(t.scrapeUrl).host : '')),
      );
      if ([...wanted].every((a) => up.has(a))) break;
      await sleep(250);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return { url, port, config, query, value, waitFor, log: () => output, stop };
}
