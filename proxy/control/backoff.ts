export interface BackoffOptions {
  /** first delay (default 100 ms) */
  minMs?: number;
  /** longest delay (default 10 s) */
  maxMs?: number;
  /** each delay is the base plus up to this fraction of it, drawn at random (default 0.5) */
  jitter?: number;
  /** [0, 1); default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with jitter, as linkerd2-proxy's `ExponentialBackoff`: the base doubles from
 * `minMs` up to `maxMs`, and each delay adds a random part of the base so that many proxies losing the
 * same control plane do not all come back at the same instant. Never more than `maxMs`.
 */
export class Backoff {
  private attempt = 0;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? 100;
    this.maxMs = options.maxMs ?? 10_000;
    this.jitter = options.jitter ?? 0.5;
    this.random = options.random ?? Math.random;
    if (!(this.minMs > 0 && this.maxMs >= this.minMs)) throw new Error('backoff: expected 0 < minMs <= maxMs');
  }

  /** the delay before the next attempt */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.min(this.maxMs, Math.round(base + base * this.jitter * this.random()));
  }

  /** after a success: the next failure starts from `minMs` again */
  reset(): void {
    this.attempt = 0;
  }
}
