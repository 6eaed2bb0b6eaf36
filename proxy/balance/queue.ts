import { performance } from 'node:perf_hooks';
import type { Balancer } from './balancer.js';
import { failFast, loadShed, type Failure } from '../errors.js';

/**
 * Where requests wait when their backend has no endpoint available (none ready, or all ejected by
 * failure accrual), as Linkerd's balancer queue does (linkerd.md 1.3): never without bound.
 * - At most `capacity` requests wait (default 100); more are shed at once with 503.
 * - A request waits at most `failFastMs` (default 3 s). When one has waited that long the backend
 *   enters *fail-fast*: every waiting and every new request is answered 503 at once, until an endpoint
 *   is available again (a new snapshot, the end of an ejection, a successful probe).
 * - Waiters are served in arrival order as soon as the balancer can pick an endpoint for them.
 *
 * The queue outlives snapshots: `replace()` hands it the backend's new balancer. The fast path does
 * not touch it: callers `balancer.pick()` first and only `wait()` when that gives nothing.
 */
export interface Waiter<T> {
  /** an endpoint was picked for the request (counted in flight): send it, then `release` as usual */
  serve(endpoint: T): void;
  /** no endpoint in time, failing fast, or too many waiting: answer with this proxy error */
  fail(failure: Failure): void;
}

export interface EndpointQueueOptions {
  /** longest wait for an endpoint before answering 503 and failing fast (default 3 s) */
  failFastMs?: number;
  /** most requests waiting at once (default 100) */
  capacity?: number;
}

export const QUEUE_DEFAULTS = { failFastMs: 3_000, capacity: 100 } as const;

interface Entry<T> {
  waiter: Waiter<T>;
  deadline: number;
}

export class EndpointQueue<T> {
  /** answering every request that finds no endpoint at once, until one is available */
  failFast = false;
  private waiting: Entry<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly failFastMs: number;
  private readonly capacity: number;
  private readonly wake = () => this.onWake();
  /** a probe's outcome arrives inside another request's response callbacks: act on the next tick */
  private readonly changed = () => {
    if (this.waiting.length > 0 || this.failFast) process.nextTick(this.wake);
  };

  constructor(
    private current: Balancer<T>,
    /** the backend, for messages (`namespace/service:port`) */
    readonly name: string,
    options: EndpointQueueOptions = {},
  ) {
    this.failFastMs = options.failFastMs ?? QUEUE_DEFAULTS.failFastMs;
    this.capacity = options.capacity ?? QUEUE_DEFAULTS.capacity;
    current.onChange = this.changed;
  }

  get balancer(): Balancer<T> {
    return this.current;
  }

  /** requests waiting now */
  get length(): number {
    return this.waiting.length;
  }

  /** The backend's balancer for a new snapshot: leave fail-fast, serve the waiters it can. */
  replace(balancer: Balancer<T>): void {
    if (this.current.onChange === this.changed) this.current.onChange = undefined;
    this.current = balancer;
    balancer.onChange = this.changed;
    this.failFast = false;
    this.drain();
  }

  /** A request found no endpoint (`balancer.pick()` gave nothing): it is served or failed later, or failed now. */
  wait(waiter: Waiter<T>): void {
    if (this.failFast) {
      waiter.fail(failFast(`no ready endpoints for ${this.name} (failing fast)`));
      return;
    }
    if (this.waiting.length >= this.capacity) {
      waiter.fail(loadShed(`load shed: ${this.capacity} requests already wait for an endpoint of ${this.name}`));
      return;
    }
    this.waiting.push({ waiter, deadline: performance.now() + this.failFastMs });
    if (this.waiting.length === 1) this.schedule();
  }

  /** The request gave up (its client went away); false if it was not waiting. */
  cancel(waiter: Waiter<T>): boolean {
    const i = this.waiting.findIndex((e) => e.waiter === waiter);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    if (this.waiting.length === 0 && !this.failFast) this.stop();
    return true;
  }

  /** answer everything waiting (the proxy is closing) */
  close(reason = `no ready endpoints for ${this.name} (closing)`): void {
    this.stop();
    const all = this.waiting;
    this.waiting = [];
    const f = failFast(reason);
    for (const e of all) e.waiter.fail(f);
  }

  private onWake(): void {
    if (this.failFast && (this.current.available?.() ?? this.current.size) > 0) this.failFast = false;
    this.drain();
  }

  private drain(): void {
    const w = this.waiting;
    while (w.length > 0) {
      const endpoint = this.current.pick();
      if (endpoint === undefined) break;
      this.failFast = false;
      (w.shift() as Entry<T>).waiter.serve(endpoint);
    }
    if (w.length > 0 && (w[0] as Entry<T>).deadline <= performance.now()) {
      // waited the whole bound: fail fast, every waiter included
      this.failFast = true;
      this.waiting = [];
      const f = failFast(`no ready endpoints for ${this.name} (waited ${this.failFastMs} ms)`);
      for (const e of w) e.waiter.fail(f);
    }
    this.schedule();
  }

  /** one timer: the first waiter's deadline or the end of an ejection, whichever comes first */
  private schedule(): void {
    this.stop();
    const first = this.waiting[0];
    if (first === undefined && !this.failFast) return;
    const now = performance.now();
    const change = this.current.nextChangeMs?.() ?? Infinity;
    const at = Math.min(first === undefined ? Infinity : first.deadline, now + change);
    if (at === Infinity) return;
    this.timer = setTimeout(this.wake, Math.max(0, Math.ceil(at - now)) + 1);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
