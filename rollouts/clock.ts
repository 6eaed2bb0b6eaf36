/**
 * Time as the controller sees it. The system clock in production; `ManualClock` in tests and anywhere
 * time must be driven by hand (ticks then happen exactly when the test says, never by real sleeps).
 */
export interface Clock {
  now(): Date;
  /** run `fn` after `ms`; a returned promise is awaited by clocks that can (ManualClock) */
  setTimeout(fn: () => void | Promise<void>, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

let nextId = 1;

export const systemClock: Clock = (() => {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  return {
    now: () => new Date(),
    setTimeout(fn, ms) {
      const id = nextId++;
      const t = setTimeout(
        () => {
          timers.delete(id);
          void fn();
        },
        Math.max(0, ms),
      );
      t.unref?.();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
})();

interface ManualTimer {
  id: number;
  due: number;
  seq: number;
  fn: () => void | Promise<void>;
}

/** A clock that only moves when told to; due callbacks run in time order and are awaited one by one. */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, ManualTimer>();
  private seq = 0;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimeout(fn: () => void | Promise<void>, ms: number): TimerHandle {
    const id = nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** number of timers waiting */
  pending(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, running (and awaiting) every callback that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = [...this.timers.values()]
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next.id);
      this.current = Math.max(this.current, next.due);
      await next.fn();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** run what is due now (timers set with 0 ms) */
  async runDue(): Promise<void> {
    await this.advance(0);
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
