import {
  emptyGolden,
  goldenIncrease,
  goldenTotal,
  initialSequentialState,
  lookComparison,
  sumGolden,
  type CompareSettings,
  type ComparisonLook,
  type GoldenSnapshot,
  type SequentialState,
} from '../../engine/analysis/index.js';

/** One pod's sidecar counters at one scrape. */
export interface PodReading {
  /** namespace/name/uid */
  key: string;
  /** the pod's creationTimestamp, ms */
  createdAt?: number;
  golden: GoldenSnapshot;
}

/**
 * The responses one side (canary pods or primary pods) answered since a start: per pod, the sum of the
 * increases between its scrapes (a counter reset is a restarted sidecar, as in `goldenIncrease`). A pod
 * that existed before the start counts from its first scrape; a pod created later counts from zero.
 * Pods that are gone keep what they answered.
 */
export class SideWindow {
  private readonly pods = new Map<string, { last: GoldenSnapshot; total: GoldenSnapshot }>();
  private first = true;

  constructor(private readonly since: number) {}

  update(readings: readonly PodReading[]): void {
    for (const r of readings) {
      const known = this.pods.get(r.key);
      if (known) {
        known.total = sumGolden([known.total, goldenIncrease(known.last, r.golden)]);
        known.last = r.golden;
        continue;
      }
      const existedBefore = this.first || (r.createdAt !== undefined && r.createdAt < this.since);
      this.pods.set(r.key, {
        last: r.golden,
        total: existedBefore ? emptyGolden() : goldenIncrease(undefined, r.golden),
      });
    }
    this.first = false;
  }

  /** forget what was answered so far (the window starts now) */
  restart(): void {
    for (const p of this.pods.values()) p.total = emptyGolden();
  }

  total(): GoldenSnapshot {
    return sumGolden([...this.pods.values()].map((p) => p.total));
  }
}

/**
 * One analysis run's comparison of the canary with the primary: both sides' windows start together when
 * the canary answers its first response (until then the primary's window keeps restarting), and every
 * update is one look of each comparative metric's sequential test.
 */
export class ComparisonRun {
  private readonly canary: SideWindow;
  private readonly primary: SideWindow;
  private readonly states = new Map<string, SequentialState>();
  private readonly looks = new Map<string, ComparisonLook>();

  constructor(
    /** the revision under analysis (`status.lastAppliedSpec`): another one starts another run */
    readonly revision: string,
    since: number,
  ) {
    this.canary = new SideWindow(since);
    this.primary = new SideWindow(since);
  }

  update(
    canary: readonly PodReading[],
    primary: readonly PodReading[],
    metrics: ReadonlyArray<{ name: string; settings: CompareSettings }>,
  ): void {
    this.canary.update(canary);
    this.primary.update(primary);
    const c = this.canary.total();
    if (goldenTotal(c) === 0) this.primary.restart();
    const p = this.primary.total();
    for (const m of metrics) {
      const look = lookComparison(m.name, this.states.get(m.name) ?? initialSequentialState(), c, p, m.settings);
      this.states.set(m.name, look.state);
      this.looks.set(m.name, look);
    }
  }

  /** the latest look of a metric */
  look(name: string): ComparisonLook | undefined {
    return this.looks.get(name);
  }
}
