/**
 * Failure accrual of one endpoint, as Linkerd's `consecutive` mode (linkerd.md 1.8): after
 * `maxFailures` consecutive failures the endpoint is ejected for a jittered exponential backoff, then
 * admits exactly one probe request. A successful probe brings it back (and resets the backoff); a
 * failed probe ejects it again for the next, longer, step. Outcomes that arrive while the endpoint is
 * ejected (requests sent before the ejection) are ignored.
 *
 * A failure is what Linkerd's HTTP classifier calls one: a connection error or a 5xx response (for
 * gRPC: a failing `grpc-status`). The caller classifies; this class only counts. Pure: time is passed
 * in and randomness injected.
 */

export interface FailureAccrualOptions {
  /** consecutive failures that eject the endpoint (Linkerd's default 7) */
  maxFailures?: number;
  /** first backoff step (default 1 s) */
  minPenaltyMs?: number;
  /** largest backoff step before jitter (default 60 s) */
  maxPenaltyMs?: number;
  /** each step is lengthened by a uniform random share in [0, jitterRatio] of itself (default 0.5) */
  jitterRatio?: number;
}

export const FAILURE_ACCRUAL_DEFAULTS: Readonly<Required<FailureAccrualOptions>> = {
  maxFailures: 7,
  minPenaltyMs: 1_000,
  maxPenaltyMs: 60_000,
  jitterRatio: 0.5,
};

/**
 * - `ready`: takes traffic, counts consecutive failures
 * - `ejected`: takes no traffic until `until`
 * - `probation`: backoff over, admits one request (the probe)
 * - `probing`: the probe is in flight, admits nothing
 */
export type BreakerState = 'ready' | 'ejected' | 'probation' | 'probing';

/** Outcome of one request: true = failed, false = succeeded, undefined = unknown (the client went away). */
export type Outcome = boolean | undefined;

export class ConsecutiveFailures {
  state: BreakerState = 'ready';
  /** consecutive failures while ready */
  failures = 0;
  /** when an ejection ends (same clock as the `now` given) */
  until = 0;
  /** backoff steps taken since the endpoint was last healthy */
  private step = 0;
  private readonly o: Readonly<Required<FailureAccrualOptions>>;

  constructor(
    options: FailureAccrualOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.o = { ...FAILURE_ACCRUAL_DEFAULTS, ...options };
  }

  /** May a request be sent now? An ejection whose backoff is over turns into probation here. */
  available(now: number): boolean {
    const s = this.state;
    if (s === 'ready' || s === 'probation') return true;
    if (s === 'ejected' && now >= this.until) {
      this.state = 'probation';
      return true;
    }
    return false;
  }

  /** A request was sent to the endpoint; in probation it is the probe, and nothing else is admitted. */
  admit(): void {
    if (this.state === 'probation') this.state = 'probing';
  }

  /**
   * Record an outcome; `overloadMs` > 0 when the endpoint asked to be left alone that long (429,
   * RESOURCE_EXHAUSTED with Retry-After): an ejection then lasts at least that long. Returns true when
   * the endpoint's availability changed.
   */
  record(failed: Outcome, now: number, overloadMs = 0): boolean {
    switch (this.state) {
      case 'ready':
        if (failed === undefined) return false;
        if (!failed) {
          this.failures = 0;
          return false;
        }
        if (++this.failures < this.o.maxFailures) return false;
        this.eject(now, overloadMs);
        return true;
      case 'probing':
        if (failed === undefined) {
          // the probe was cancelled: admit another one
          this.state = 'probation';
        } else if (failed) {
          this.step++;
          this.eject(now, overloadMs);
        } else {
          this.state = 'ready';
          this.failures = 0;
          this.step = 0;
        }
        return true;
      default:
        // ejected or waiting for the probe: outcomes of requests sent before the ejection
        return false;
    }
  }

  /** The backoff of step `step` (0 = the first ejection): `min·2^step` capped at max, plus jitter. */
  backoffMs(step: number): number {
    const { minPenaltyMs, maxPenaltyMs, jitterRatio } = this.o;
    const base = Math.min(minPenaltyMs * 2 ** Math.min(step, 52), maxPenaltyMs);
    return base + base * jitterRatio * this.random();
  }

  private eject(now: number, atLeastMs: number): void {
    this.state = 'ejected';
    this.failures = 0;
    this.until = now + Math.max(this.backoffMs(this.step), atLeastMs);
  }
}
