import {
  emptyGolden,
  goldenIncrease,
  goldenLatencyQuantileMs,
  goldenSnapshot,
  goldenSuccessRate,
  goldenTotal,
  isBuiltinMetric,
  isComparativeMetric,
  parseCompareSettings,
  parsePromText,
  REQUEST_DURATION,
  REQUEST_SUCCESS_RATE,
  sumGolden,
  type ComparisonLook,
  type GoldenSnapshot,
} from '../../engine/analysis/index.js';
import { getAnalysis } from '../../engine/canary/index.js';
import {
  ANNOTATION_ADMIN_PORT,
  type Canary,
  type CanaryMetric,
  type Deployment,
  type Pod,
  type Service,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { errorMessage, silentLogger, type Logger } from '../logger.js';
import { ComparisonRun, type PodReading } from './compare-window.js';
import type { MetricQuery, MetricsProvider } from './provider.js';
import { httpScrape, scrapablePods, targetSelector } from './target-pods.js';
import { MirrorDiffRates } from './mirror-diff-rate.js';
import { MIRROR_DIFF_RATE } from '../../engine/mirror-diff/index.js';

/** the canary gates on `mirror-diff-rate` */
function usesMirrorDiff(canary: Canary): boolean {
  return (canary.spec.analysis?.metrics ?? []).some((m) => m.name === MIRROR_DIFF_RATE);
}

interface Sample {
  at: number;
  golden: GoldenSnapshot;
}

interface PodRing {
  namespace: string;
  name: string;
  /** namespace/name/uid */
  key: string;
  /** creationTimestamp, ms */
  createdAt?: number;
  samples: Sample[];
}

export interface Golden {
  /** percent of non-failure responses, undefined without traffic in the window */
  successRate?: number;
  /** p99 latency in milliseconds */
  p99?: number;
  /** responses per second */
  rps?: number;
}

export interface MeshMetricsOptions {
  store: ResourceStore;
  clock?: Clock;
  logger?: Logger;
  /** per scrape (default 1000 ms) */
  scrapeTimeoutMs?: number;
  /** background sampling period for canaries under analysis (default 1000 ms) */
  pollIntervalMs?: number;
  /** how long samples are kept (default 10 min, Flagger's longest usual window) */
  retentionMs?: number;
  /** host of the sidecars' admin listeners (default 127.0.0.1) */
  host?: string;
  /** how to read one admin `/metrics` (default: HTTP GET); tests and other runtimes can replace it */
  scrape?: (url: string, timeoutMs: number) => Promise<string>;
  /**
   * admin `/metrics` URLs of mirroring proxies that are not pods (`weir up`'s own outbound proxy), read with
   * the pods' for `mirror-diff-rate`
   */
  mirrorDiffSources?: () => readonly string[];
}

/** the pods of a canary's primary: the `NAME-primary` workload's (or Service's) selector */
function primarySelector(store: ResourceStore, canary: Canary): Record<string, string> | undefined {
  const ref = canary.spec.targetRef;
  const name = `${ref.name}-primary`;
  if (ref.kind === 'Service') return store.get<Service>('Service', canary.metadata.namespace, name)?.spec.selector;
  return store.get<Deployment>(ref.kind, canary.metadata.namespace, name)?.spec.selector.matchLabels;
}

/** the comparative metrics of a canary's analysis, with their settings */
function comparativeMetrics(canary: Canary) {
  return (getAnalysis(canary)?.metrics ?? [])
    .filter((m) => isComparativeMetric(m.name))
    .map((m) => ({ name: m.name, settings: parseCompareSettings(m.name, m.query) }));
}

/** the selector of the Deployment, StatefulSet or DaemonSet called `name` (in that order) */
function workloadSelector(store: ResourceStore, namespace: string, name: string): Record<string, string> | undefined {
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
    const w = store.get<Deployment>(kind, namespace, name);
    if (w) return w.spec.selector.matchLabels;
  }
  return undefined;
}

/**
 * Builtin metrics (`request-success-rate`, `request-duration`; `mirror-diff-rate`: mirror-diff-rate.ts) read straight from the sidecars of the
 * canary's pods, the way Flagger's Linkerd PromQL reads them from Prometheus (reference 3.12):
 * pods selected by the target's selector (a Deployment's, StatefulSet's, DaemonSet's or Service's), each pod's `weir.dev/admin-port` scraped at
 * `/metrics`, inbound `response_total` and `response_latency_ms_bucket` kept as timestamped samples per pod,
 * and the answer computed over the metric's window (oldest sample inside the window to the newest;
 * counter resets handled per pod). No responses in the window = no data.
 *
 * Samples are taken on every query and, while a canary is under analysis, every `pollIntervalMs`.
 */
export class MeshMetricsProvider implements MetricsProvider {
  readonly name = 'mesh';
  private readonly rings = new Map<string, PodRing>();
  private readonly polls = new Map<string, { handle?: TimerHandle; canary: Canary }>();
  /** canary (namespace/name) -> the comparison of its current run (docs/compare.md) */
  private readonly comparisons = new Map<string, ComparisonRun>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;
  private readonly diffs: MirrorDiffRates;

  constructor(private readonly options: MeshMetricsOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.diffs = new MirrorDiffRates({
      store: options.store,
      host: options.host ?? '127.0.0.1',
      scrape: options.scrape ?? httpScrape,
      scrapeTimeoutMs: options.scrapeTimeoutMs ?? 1000,
      retentionMs: options.retentionMs ?? 600_000,
      now: () => this.clock.now().getTime(),
      debug: (m) => this.logger.debug(m),
      ...(options.mirrorDiffSources !== undefined ? { sources: options.mirrorDiffSources } : {}),
    });
  }

  supports(metric: CanaryMetric): boolean {
    if (isComparativeMetric(metric.name)) return true;
    return isBuiltinMetric(metric.name) && metric.query === undefined && metric.templateRef === undefined;
  }

  /**
   * A comparative metric: one more look of the canary's run (both sides scraped now), and its latest
   * decision and line. The run began with the canary's first response of this revision; every background
   * poll while the canary is analysed is a look too.
   */
  async compare(q: MetricQuery): Promise<ComparisonLook> {
    const run = await this.lookAgain(q.canary);
    const look = run.look(q.metric.name);
    if (!look) throw new Error(`${q.metric.name} is not a comparative metric of this analysis`);
    return look;
  }

  /** scrape the canary's and the primary's pods and feed the run's sequential tests one look */
  private async lookAgain(canary: Canary): Promise<ComparisonRun> {
    const ns = canary.metadata.namespace;
    const canarySel = targetSelector(this.options.store, canary);
    const primarySel = primarySelector(this.options.store, canary);
    if (!canarySel)
      throw new Error(`no selector for the pods of ${canary.spec.targetRef.kind} ${ns}/${canary.spec.targetRef.name}`);
    if (!primarySel) throw new Error(`no ${canary.spec.targetRef.name}-primary in ${ns} to compare the canary with`);
    const key = `${ns}/${canary.metadata.name}`;
    const revision = canary.status?.lastAppliedSpec ?? '';
    let run = this.comparisons.get(key);
    if (!run || run.revision !== revision) {
      run = new ComparisonRun(revision, this.clock.now().getTime());
      this.comparisons.set(key, run);
    }
    const [c, p] = await Promise.all([this.sample(ns, canarySel), this.sample(ns, primarySel)]);
    const reading = (r: PodRing): PodReading | undefined => {
      const last = r.samples[r.samples.length - 1];
      return last
        ? { key: r.key, golden: last.golden, ...(r.createdAt !== undefined ? { createdAt: r.createdAt } : {}) }
        : undefined;
    };
    const defined = (x: PodReading | undefined): x is PodReading => x !== undefined;
    run.update(c.map(reading).filter(defined), p.map(reading).filter(defined), comparativeMetrics(canary));
    return run;
  }

  async query(q: MetricQuery): Promise<number | undefined> {
    if (q.metric.name === MIRROR_DIFF_RATE) return this.diffs.rate(q.canary, q.windowMs);
    const selector = targetSelector(this.options.store, q.canary);
    if (!selector) return undefined;
    const increase = await this.windowIncrease(q.canary.metadata.namespace, selector, q.windowMs);
    if (!increase) return undefined;
    if (q.metric.name === REQUEST_SUCCESS_RATE) return goldenSuccessRate(increase.golden);
    if (q.metric.name === REQUEST_DURATION) return goldenLatencyQuantileMs(0.99, increase.golden);
    throw new Error(`the mesh provider does not know metric ${q.metric.name}`);
  }

  /** Golden metrics of one Deployment's pods over a window (for the CLI and the API). */
  async golden(q: { namespace: string; deployment: string; windowMs: number }): Promise<Golden> {
    const selector = workloadSelector(this.options.store, q.namespace, q.deployment);
    if (!selector) return {};
    const inc = await this.windowIncrease(q.namespace, selector, q.windowMs);
    if (!inc) return {};
    const out: Golden = {};
    const sr = goldenSuccessRate(inc.golden);
    if (sr !== undefined) out.successRate = sr;
    const p99 = goldenLatencyQuantileMs(0.99, inc.golden);
    if (p99 !== undefined) out.p99 = p99;
    if (inc.spanMs > 0) out.rps = goldenTotal(inc.golden) / (inc.spanMs / 1000);
    return out;
  }

  track(canary: Canary, active: boolean): void {
    const key = `${canary.metadata.namespace}/${canary.metadata.name}`;
    const existing = this.polls.get(key);
    if (!active) {
      if (existing?.handle) this.clock.clearTimeout(existing.handle);
      this.polls.delete(key);
      this.comparisons.delete(key);
      return;
    }
    if (existing) {
      existing.canary = canary;
      return;
    }
    const entry: { handle?: TimerHandle; canary: Canary } = { canary };
    this.polls.set(key, entry);
    const loop = async (): Promise<void> => {
      if (this.closed || this.polls.get(key) !== entry) return;
      try {
        if (comparativeMetrics(entry.canary).length > 0) await this.lookAgain(entry.canary);
        else {
          const selector = targetSelector(this.options.store, entry.canary);
          if (selector) await this.sample(entry.canary.metadata.namespace, selector);
        }
        if (usesMirrorDiff(entry.canary)) await this.diffs.sample(entry.canary);
      } catch (err) {
        this.logger.debug(`mesh metrics poll: ${errorMessage(err)}`);
      }
      if (this.closed || this.polls.get(key) !== entry) return;
      entry.handle = this.clock.setTimeout(loop, this.options.pollIntervalMs ?? 1000);
    };
    entry.handle = this.clock.setTimeout(loop, 0);
  }

  /** Scrape every pod matching the selector once; returns the pods sampled. */
  async sample(namespace: string, selector: Record<string, string>): Promise<PodRing[]> {
    const pods = scrapablePods(this.options.store, namespace, selector);
    const host = this.options.host ?? '127.0.0.1';
    const scrape = this.options.scrape ?? httpScrape;
    const at = this.clock.now().getTime();
    const sampled = await Promise.all(
      pods.map(async (pod): Promise<PodRing | undefined> => {
        const port = pod.metadata.annotations?.[ANNOTATION_ADMIN_PORT];
        const key = `${namespace}/${pod.metadata.name}/${pod.metadata.uid ?? ''}`;
        try {
          const text = await scrape(`http://${host}:${port}/metrics`, this.options.scrapeTimeoutMs ?? 1000);
          const golden = goldenSnapshot(parsePromText(text).samples);
          const created = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
          const ring = this.rings.get(key) ?? {
            namespace,
            name: pod.metadata.name,
            key,
            ...(Number.isNaN(created) ? {} : { createdAt: created }),
            samples: [],
          };
          ring.samples.push({ at, golden });
          this.prune(ring, at);
          this.rings.set(key, ring);
          return ring;
        } catch (err) {
          this.logger.debug(`scrape ${namespace}/${pod.metadata.name}: ${errorMessage(err)}`);
          return this.rings.get(key);
        }
      }),
    );
    // forget pods that are gone from the store (not merely outside this selector: other deployments'
    // rings must survive a query for this one)
    const live = new Set(
      this.options.store
        .list<Pod>('Pod', namespace)
        .map((p) => `${namespace}/${p.metadata.name}/${p.metadata.uid ?? ''}`),
    );
    for (const [key, ring] of this.rings) if (ring.namespace === namespace && !live.has(key)) this.rings.delete(key);
    return sampled.filter((r): r is PodRing => r !== undefined);
  }

  private prune(ring: PodRing, now: number): void {
    const keep = this.options.retentionMs ?? 600_000;
    while (ring.samples.length > 2 && ring.samples[0]!.at < now - keep) ring.samples.shift();
  }

  /** Sum over pods of the increase between the oldest sample inside the window and the newest one. */
  private async windowIncrease(
    namespace: string,
    selector: Record<string, string>,
    windowMs: number,
  ): Promise<{ golden: GoldenSnapshot; spanMs: number } | undefined> {
    const rings = await this.sample(namespace, selector);
    const now = this.clock.now().getTime();
    const increases: GoldenSnapshot[] = [];
    let spanMs = 0;
    for (const ring of rings) {
      const inWindow = ring.samples.filter((s) => s.at >= now - windowMs);
      if (inWindow.length < 2) continue;
      const first = inWindow[0]!;
      const last = inWindow[inWindow.length - 1]!;
      // a reset between samples inside the window: add the increases pairwise
      let inc = emptyGolden();
      for (let i = 1; i < inWindow.length; i++) {
        inc = sumGolden([inc, goldenIncrease(inWindow[i - 1]!.golden, inWindow[i]!.golden)]);
      }
      increases.push(inc);
      spanMs = Math.max(spanMs, last.at - first.at);
    }
    if (increases.length === 0) return undefined;
    const golden = sumGolden(increases);
    if (goldenTotal(golden) === 0) return undefined;
    return { golden, spanMs };
  }

  close(): void {
    this.closed = true;
    for (const p of this.polls.values()) if (p.handle) this.clock.clearTimeout(p.handle);
    this.polls.clear();
    this.rings.clear();
    this.comparisons.clear();
  }
}
