/**
 * A retry budget as Linkerd (Tower's `TpsBudget`) keeps one: retries may add at most `ratio` of the
 * live traffic, plus a floor of `minPerSecond` retries per second, both over a sliding window of `ttlMs`.
 *
 * - Every original request deposits 1 token; a retry withdraws `1 / ratio` tokens.
 * - A reserve of `minPerSecond * ttl(s) / ratio` tokens is always there (the floor).
 * - Deposits and withdrawals expire after `ttlMs`, kept in 10 slots of `ttlMs / 10`.
 *
 * Linkerd's defaults: ratio 0.2, 10 retries per second, 10 s. Time comes from `now()` (milliseconds),
 * injectable for tests.
 */
export interface RetryBudgetOptions {
  /** retries as a share of requests (default 0.2) */
  ratio?: number;
  /** retries per second allowed whatever the traffic (default 10) */
  minPerSecond?: number;
  /** window (default 10 s) */
  ttlMs?: number;
  now?: () => number;
}

const SLOTS = 10;

export class RetryBudget {
  private readonly withdrawAmount: number;
  private readonly reserve: number;
  private readonly slotMs: number;
  private readonly slots = new Float64Array(SLOTS);
  private readonly now: () => number;
  /** index of the current slot and the time it started */
  private current = 0;
  private currentStart: number;
  /** sum of `slots` */
  private total = 0;

  constructor(o: RetryBudgetOptions = {}) {
    const ratio = o.ratio ?? 0.2;
    const ttlMs = o.ttlMs ?? 10_000;
    this.now = o.now ?? (() => performance.now());
    this.withdrawAmount = ratio > 0 ? 1 / ratio : Number.POSITIVE_INFINITY;
    this.reserve = ratio > 0 ? (o.minPerSecond ?? 10) * (ttlMs / 1000) * this.withdrawAmount : 0;
    this.slotMs = ttlMs / SLOTS;
    this.currentStart = this.now();
  }

  /** an original (not retried) request */
  deposit(): void {
    this.advance();
    this.slots[this.current] = (this.slots[this.current] as number) + 1;
    this.total += 1;
  }

  /** true (and the retry is paid for) when the budget allows one more retry now */
  withdraw(): boolean {
    this.advance();
    if (this.reserve + this.total + 1e-9 < this.withdrawAmount) return false;
    this.slots[this.current] = (this.slots[this.current] as number) - this.withdrawAmount;
    this.total -= this.withdrawAmount;
    return true;
  }

  /** retries the budget allows right now */
  available(): number {
    this.advance();
    return Math.max(0, Math.floor((this.reserve + this.total) / this.withdrawAmount + 1e-9));
  }

  /** expire the slots older than the window */
  private advance(): void {
    const now = this.now();
    const elapsed = Math.floor((now - this.currentStart) / this.slotMs);
    if (elapsed <= 0) return;
    if (elapsed >= SLOTS) {
      this.slots.fill(0);
      this.total = 0;
      this.currentStart = now;
      return;
    }
    for (let i = 0; i < elapsed; i++) {
      this.current = (this.current + 1) % SLOTS;
      this.total -= this.slots[this.current] as number;
      this.slots[this.current] = 0;
    }
    this.currentStart += elapsed * this.slotMs;
  }
}
