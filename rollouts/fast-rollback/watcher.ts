import {
  emptyGolden,
  goldenIncrease,
  goldenSnapshot,
  judgeFastRollback,
  parsePromText,
  type FastRollbackSettings,
  type GoldenSnapshot,
} from '../../engine/analysis/index.js';
import type { FastRollbackObservation } from '../../engine/canary/index.js';
import {
  ANNOTATION_ADMIN_PORT,
  fastRollbackSettings,
  fastRollbackThreshold,
  type Canary,
  type CanaryPhase,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { errorMessage, silentLogger, type Logger } from '../logger.js';
import { httpScrape, scrapablePods, targetSelector } from '../metrics/target-pods.js';

export interface FastRollbackWatcherOptions {
  store: ResourceStore;
  /** called once per run when a breach is beyond doubt; the controller runs a tick with it */
  onBreach: (canary: Canary, breach: FastRollbackObservation) => void | Promise<void>;
  clock?: Clock;
  logger?: Logger;
  /** time between two scrapes of a watched canary's pods (default 100 ms) */
  pollMs?: number;
  /** per scrape (default 500 ms) */
  scrapeTimeoutMs?: number;
  /** host of the sidecars' admin listeners (default 127.0.0.1) */
  host?: string;
  /** how to read one admin `/metrics` (default: HTTP GET); tests replace it */
  scrape?: (url: string, timeoutMs: number) => Promise<string>;
}

/** What one run of one canary has counted so far. */
interface Run {
  key: string;
  canary: Canary;
  revision: string;
  threshold: number;
  settings: FastRollbackSettings;
  /** pod -> its counters at the run's start (zero for pods that appeared after the first look) */
  baselines: Map<string, GoldenSnapshot>;
  /** pod -> its responses since the baseline at its last successful scrape */
  counted: Map<string, { total: number; failures: number }>;
  firstScrapeDone: boolean;
  looks: number;
  lastTotal: number;
  decided: boolean;
  handle?: TimerHandle;
}

const watchedPhases: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Progressing',
  'WaitingPromotion',
]);

/**
 * Weir's fast rollback, the I/O half (the decision is `judgeFastRollback`, engine/analysis/fast-rollback.ts;
 * the rollback is the scheduler's, engine/canary/fast-rollback.ts). While an opted-in Canary
 * (`weir.io/fast-rollback: "true"`) is Progressing or WaitingPromotion, its canary pods' sidecars are scraped
 * every `pollMs` (admin `/metrics`, inbound `response_total` by classification). Only the responses of the
 * current run count: pods present at the run's first scrape are counted from that scrape, pods that appear
 * later from zero. Each scrape that brings new responses is one look; the first breach of a run is handed to
 * `onBreach` and the run is not looked at again.
 */
export class FastRollbackWatcher {
  private readonly runs = new Map<string, Run>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: FastRollbackWatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** the controller's view after each tick: watch the canary's current run, or stop watching it */
  track(canary: Canary, active: boolean): void {
    const key = `${canary.metadata.namespace}/${canary.metadata.name}`;
    const existing = this.runs.get(key);
    const settings = fastRollbackSettings(canary);
    const threshold = fastRollbackThreshold(canary);
    const revision = canary.status?.lastAppliedSpec;
    const watch =
      active &&
      !this.closed &&
      settings !== undefined &&
      threshold !== undefined &&
      revision !== undefined &&
      watchedPhases.has(canary.status?.phase);
    if (!watch) {
      if (existing) this.stop(existing);
      return;
    }
    if (existing && existing.revision === revision) {
      existing.canary = canary;
      existing.threshold = threshold;
      existing.settings = settings;
      return;
    }
    if (existing) this.stop(existing);
    const run: Run = {
      key,
      canary,
      revision,
      threshold,
      settings,
      baselines: new Map(),
      counted: new Map(),
      firstScrapeDone: false,
      looks: 0,
      lastTotal: 0,
      decided: false,
    };
    this.runs.set(key, run);
    run.handle = this.clock.setTimeout(() => this.loop(run), 0);
  }

  /** canaries being watched (namespace/name) */
  watching(): string[] {
    return [...this.runs.values()].filter((r) => !r.decided).map((r) => r.key);
  }

  close(): void {
    this.closed = true;
    for (const r of this.runs.values()) this.stop(r);
  }

  private stop(run: Run): void {
    if (run.handle) this.clock.clearTimeout(run.handle);
    run.handle = undefined;
    if (this.runs.get(run.key) === run) this.runs.delete(run.key);
  }

  private live(run: Run): boolean {
    return !this.closed && this.runs.get(run.key) === run && !run.decided;
  }

  private async loop(run: Run): Promise<void> {
    run.handle = undefined;
    if (!this.live(run)) return;
    try {
      await this.look(run);
    } catch (err) {
      this.logger.debug(`fast rollback ${run.key}: ${errorMessage(err)}`);
    }
    if (!this.live(run)) return;
    run.handle = this.clock.setTimeout(() => this.loop(run), this.options.pollMs ?? 100);
  }

  /** one scrape of the canary's pods; a look (and maybe a breach) when it brought new responses */
  private async look(run: Run): Promise<void> {
    const { store } = this.options;
    const namespace = run.canary.metadata.namespace;
    const selector = targetSelector(store, run.canary);
    const pods = selector ? scrapablePods(store, namespace, selector) : [];
    const host = this.options.host ?? '127.0.0.1';
    const scrape = this.options.scrape ?? httpScrape;
    const first = !run.firstScrapeDone;
    await Promise.all(
      pods.map(async (pod) => {
        const id = `${pod.metadata.name}/${pod.metadata.uid ?? ''}`;
        const port = pod.metadata.annotations?.[ANNOTATION_ADMIN_PORT];
        try {
          const text = await scrape(`http://${host}:${port}/metrics`, this.options.scrapeTimeoutMs ?? 500);
          const now = goldenSnapshot(parsePromText(text).samples);
          if (!run.baselines.has(id)) run.baselines.set(id, first ? now : emptyGolden());
          // a restarted sidecar starts from zero: goldenIncrease then counts from its restart
          const inc = goldenIncrease(run.baselines.get(id), now);
          const failures = inc.responses.failure ?? 0;
          const total = Object.values(inc.responses).reduce((a, b) => a + b, 0);
          run.counted.set(id, { total, failures });
        } catch (err) {
          // a pod that does not answer keeps its last count
          this.logger.debug(`fast rollback scrape ${namespace}/${pod.metadata.name}: ${errorMessage(err)}`);
        }
      }),
    );
    run.firstScrapeDone = true;
    if (!this.live(run)) return;
    let total = 0;
    let failures = 0;
    for (const c of run.counted.values()) {
      total += c.total;
      failures += c.failures;
    }
    if (total === run.lastTotal) return;
    run.lastTotal = total;
    run.looks += 1;
    const decision = judgeFastRollback({ total, failures }, run.threshold, run.settings, run.looks);
    if (decision.verdict !== 'breach') return;
    run.decided = true;
    const breach: FastRollbackObservation = {
      revision: run.revision,
      reason: decision.reason,
      total,
      failures,
      upperPercent: decision.upperPercent ?? 0,
      thresholdPercent: run.threshold,
      at: this.clock.now().toISOString(),
    };
    this.logger.warn(`fast rollback ${run.key}: ${decision.reason}`, {
      namespace,
      canary: run.canary.metadata.name,
    });
    await this.options.onBreach(run.canary, breach);
  }
}
