import { performance } from 'node:perf_hooks';
import type { Balancer, BalancerFactory } from './balancer.js';
import { ConsecutiveFailures, type FailureAccrualOptions, type Outcome } from './breaker.js';

/**
 * Power of two choices over a peak-EWMA load estimate, per request (linkerd.md 1.4; Tower's PeakEwma
 * as Linkerd uses it):
 * - P2C runs over the endpoints available now (not ejected by failure accrual). With two or more it
 *   draws two distinct ones and takes the cheaper; a tie goes to the first drawn.
 * - `cost = rtt estimate × (in-flight + 1)`.
 * - An RTT sample above the estimate replaces it at once (the peak); a lower one is blended in with
 *   weight `1 - exp(-elapsed/decay)`. Reading the cost decays the estimate toward 0 (a 0-length
 *   sample), so an endpoint left idle drifts back into favour and is tried again.
 * - An endpoint that answered 429 or RESOURCE_EXHAUSTED is overloaded for its `Retry-After` (else 1 s):
 *   its cost is raised so much that P2C takes any other endpoint drawn (Linkerd's `PenaltyPeakEwma`).
 * - A new endpoint starts at the default RTT (30 ms, floor 1 ms); endpoints that stay across snapshots
 *   keep their estimate, in-flight count and failure accrual.
 *
 * The clock and the random source are injectable, so the algorithm is tested without real time.
 */
export interface PeakEwmaOptions {
  /** decay time of the RTT estimate (default 10 s) */
  decayMs?: number;
  /** RTT estimate of an endpoint not measured yet (default 30 ms) */
  defaultRttMs?: number;
  /** per-endpoint failure accrual (default: Linkerd's consecutive-failures parameters); false = none */
  failureAccrual?: FailureAccrualOptions | false;
  /** milliseconds on a monotonic clock (default performance.now) */
  now?: () => number;
  /** uniform in [0, 1) (default Math.random); also draws the backoff jitter */
  random?: () => number;
}

export const PEAK_EWMA_DEFAULTS = { decayMs: 10_000, defaultRttMs: 30 } as const;

const performanceNow = () => performance.now();

/** an overloaded endpoint's cost is raised this much: P2C takes any other one not overloaded */
const OVERLOAD_COST_FACTOR = 1e6;

/** One endpoint's load and failure accrual, shared by the successive balancers of a backend. */
class Slot<T> {
  pending = 0;
  /** until when the endpoint asked to be left alone (429 / RESOURCE_EXHAUSTED) */
  overloadedUntil = 0;
  constructor(
    readonly endpoint: T,
    public rtt: number,
    public stamp: number,
    readonly breaker: ConsecutiveFailures | undefined,
  ) {}
}

export class PeakEwma<T> implements Balancer<T> {
  private readonly slots: Slot<T>[];
  private readonly index = new Map<T, Slot<T>>();
  /** the slots that may take a request; `slots` itself when all may */
  private ready: Slot<T>[];
  /** an endpoint's availability changed: recompute `ready` before the next pick */
  private dirty = true;
  /** the earliest end of an ejection */
  private wakeAt = Infinity;
  private readonly decayMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  onChange: (() => void) | undefined = undefined;

  constructor(endpoints: readonly T[], options: PeakEwmaOptions = {}, previous?: Balancer<T>) {
    this.decayMs = options.decayMs ?? PEAK_EWMA_DEFAULTS.decayMs;
    this.now = options.now ?? performanceNow;
    const random = (this.random = options.random ?? Math.random);
    const seed = Math.max(1, options.defaultRttMs ?? PEAK_EWMA_DEFAULTS.defaultRttMs);
    const accrual = options.failureAccrual;
    const carried = previous instanceof PeakEwma ? (previous as PeakEwma<T>).index : undefined;
    const t = this.now();
    this.slots = endpoints.map((endpoint) => {
      const slot =
        carried?.get(endpoint) ??
        new Slot(endpoint, seed, t, accrual === false ? undefined : new ConsecutiveFailures(accrual, random));
      this.index.set(endpoint, slot);
      return slot;
    });
    this.ready = this.slots;
  }

  get size(): number {
    return this.slots.length;
  }

  pick(avoid?: T): T | undefined {
    const now = this.now();
    if (this.dirty || now >= this.wakeAt) this.refresh(now);
    // a request never sent to `avoid` goes to another one (the rare path: a filtered copy)
    const ready = avoid === undefined ? this.ready : this.ready.filter((s) => s.endpoint !== avoid);
    const n = ready.length;
    let s: Slot<T>;
    if (n > 1) {
      const a = Math.floor(this.random() * n);
      let b = Math.floor(this.random() * (n - 1));
      if (b >= a) b++;
      const sa = ready[a] as Slot<T>;
      const sb = ready[b] as Slot<T>;
      s = this.cost(sb, now) < this.cost(sa, now) ? sb : sa;
    } else if (n === 1) {
      s = ready[0] as Slot<T>;
    } else {
      return undefined;
    }
    const breaker = s.breaker;
    if (breaker !== undefined && breaker.state === 'probation') {
      breaker.admit();
      this.dirty = true;
    }
    s.pending++;
    return s.endpoint;
  }

  release(endpoint: T, rttMs: number, failed: Outcome, overloadMs = 0): void {
    const s = this.index.get(endpoint);
    if (s === undefined) return;
    if (s.pending > 0) s.pending--;
    const now = this.now();
    if (rttMs > s.rtt) {
      s.rtt = rttMs;
    } else {
      const w = Math.exp(Math.min(0, s.stamp - now) / this.decayMs);
      s.rtt = s.rtt * w + rttMs * (1 - w);
    }
    s.stamp = now;
    if (overloadMs > 0) s.overloadedUntil = Math.max(s.overloadedUntil, now + overloadMs);
    if (s.breaker !== undefined && s.breaker.record(failed, now, overloadMs)) {
      this.dirty = true;
      this.onChange?.();
    }
  }

  available(): number {
    const now = this.now();
    if (this.dirty || now >= this.wakeAt) this.refresh(now);
    return this.ready.length;
  }

  nextChangeMs(): number {
    const now = this.now();
    if (this.dirty || now >= this.wakeAt) this.refresh(now);
    return this.wakeAt === Infinity ? Infinity : Math.max(0, this.wakeAt - now);
  }

  /** the current load of `endpoint` (for tests and /config), undefined if unknown */
  load(endpoint: T): { rttMs: number; pending: number; state: string } | undefined {
    const s = this.index.get(endpoint);
    if (s === undefined) return undefined;
    const now = this.now();
    return { rttMs: this.cost(s, now) / (s.pending + 1), pending: s.pending, state: s.breaker?.state ?? 'ready' };
  }

  /** reading the cost decays the estimate with a 0-length sample */
  private cost(s: Slot<T>, now: number): number {
    const elapsed = now - s.stamp;
    if (elapsed > 0) {
      s.rtt *= Math.exp(-elapsed / this.decayMs);
      s.stamp = now;
    }
    const cost = s.rtt * (s.pending + 1);
    return now < s.overloadedUntil ? cost * OVERLOAD_COST_FACTOR + OVERLOAD_COST_FACTOR : cost;
  }

  private refresh(now: number): void {
    this.dirty = false;
    let wake = Infinity;
    let all = true;
    for (const s of this.slots) {
      const b = s.breaker;
      if (b === undefined || b.available(now)) continue;
      all = false;
      if (b.state === 'ejected' && b.until < wake) wake = b.until;
    }
    this.wakeAt = wake;
    this.ready = all ? this.slots : this.slots.filter((s) => s.breaker === undefined || s.breaker.available(now));
  }
}

/** The default balancer factory: `peakEwma()` or `peakEwma({ failureAccrual: { maxFailures: 3 } })`. */
export function peakEwma(options: PeakEwmaOptions = {}): BalancerFactory {
  return (endpoints, previous) => new PeakEwma(endpoints, options, previous);
}
