import type { Timers } from '../../../proxy/identity/workload-identity.js';

/** A clock and timers that move only when told to. */
export class FakeClock implements Timers {
  t = Date.now();
  private seq = 0;
  private readonly pending = new Map<number, { at: number; ms: number; fn: () => void }>();

  readonly now = (): number => this.t;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** the delays (as set) of the timers still pending */
  delays(): number[] {
    return [...this.pending.values()].map((p) => p.ms);
  }

  /** move the clock forward, firing each timer that falls due, in order */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = target;
  }
}
