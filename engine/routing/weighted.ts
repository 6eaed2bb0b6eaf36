/**
 * Smooth weighted round robin, as nginx does it: deterministic, exact ratios over every cycle of
 * `sum(weights)` picks, and the minority choice is spread evenly (90/10 -> every tenth pick).
 * O(n) per pick, no allocation. Items of weight 0 are never picked.
 */
export class SmoothWeighted<T> {
  readonly items: readonly T[];
  private readonly weights: number[];
  private readonly current: number[];
  private readonly total: number;

  constructor(entries: ReadonlyArray<{ item: T; weight: number }>) {
    const kept = entries.filter((e) => e.weight > 0);
    this.items = kept.map((e) => e.item);
    this.weights = kept.map((e) => e.weight);
    this.current = kept.map(() => 0);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  /** true when nothing can be picked (no entries, or all of weight 0) */
  get empty(): boolean {
    return this.items.length === 0;
  }

  /** the next item; `undefined` only when `empty` */
  pick(): T | undefined {
    const n = this.items.length;
    if (n <= 1) return this.items[0];
    const cur = this.current;
    const w = this.weights;
    let best = 0;
    for (let i = 0; i < n; i++) {
      cur[i] = (cur[i] as number) + (w[i] as number);
      if ((cur[i] as number) > (cur[best] as number)) best = i;
    }
    cur[best] = (cur[best] as number) - this.total;
    return this.items[best];
  }
}
