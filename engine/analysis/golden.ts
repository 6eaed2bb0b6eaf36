import { counterIncrease, histogramQuantile, successRatePercent, type Bucket } from './prom-math.js';
import { parsePromValue, type PromSample } from './prom-text.js';

/**
 * The golden metrics of one proxy (or a sum of several) at one instant, as cumulative counters:
 * Linkerd's `response_total` by `classification` and `response_latency_ms_bucket` by `le`, summed over
 * every other label of the selected direction.
 */
export interface GoldenSnapshot {
  /** classification ("success", "failure") -> cumulative responses */
  responses: Record<string, number>;
  /** `le` as written ("10", "+Inf") -> cumulative count */
  latencyBuckets: Record<string, number>;
}

export const RESPONSE_TOTAL = 'response_total';
export const RESPONSE_LATENCY_BUCKET = 'response_latency_ms_bucket';

export function emptyGolden(): GoldenSnapshot {
  return { responses: {}, latencyBuckets: {} };
}

/** Sum the inbound (by default) golden series of one exposition. */
export function goldenSnapshot(
  samples: readonly PromSample[],
  select: (labels: Record<string, string>) => boolean = (l) => l.direction === 'inbound',
): GoldenSnapshot {
  const out = emptyGolden();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || !select(s.labels)) continue;
    if (s.name === RESPONSE_TOTAL) {
      const c = s.labels.classification ?? 'success';
      out.responses[c] = (out.responses[c] ?? 0) + s.value;
    } else if (s.name === RESPONSE_LATENCY_BUCKET) {
      const le = s.labels.le;
      if (le === undefined) continue;
      out.latencyBuckets[le] = (out.latencyBuckets[le] ?? 0) + s.value;
    }
  }
  return out;
}

function anyDecrease(before: Record<string, number>, after: Record<string, number>): boolean {
  return Object.entries(before).some(([k, v]) => (after[k] ?? 0) < v);
}

/**
 * What happened between two snapshots of the same proxy. A counter that went down means the proxy
 * restarted: its whole exposition restarted from zero, so the later snapshot is the increase
 * (Prometheus's counter-reset rule, applied per proxy).
 */
export function goldenIncrease(before: GoldenSnapshot | undefined, after: GoldenSnapshot): GoldenSnapshot {
  if (
    before === undefined ||
    anyDecrease(before.responses, after.responses) ||
    anyDecrease(before.latencyBuckets, after.latencyBuckets)
  ) {
    return structuredCloneGolden(after);
  }
  const out = emptyGolden();
  for (const [k, v] of Object.entries(after.responses)) out.responses[k] = counterIncrease(before.responses[k], v);
  for (const [k, v] of Object.entries(after.latencyBuckets))
    out.latencyBuckets[k] = counterIncrease(before.latencyBuckets[k], v);
  return out;
}

function structuredCloneGolden(g: GoldenSnapshot): GoldenSnapshot {
  return { responses: { ...g.responses }, latencyBuckets: { ...g.latencyBuckets } };
}

/** `sum(...)` over proxies. */
export function sumGolden(list: readonly GoldenSnapshot[]): GoldenSnapshot {
  const out = emptyGolden();
  for (const g of list) {
    for (const [k, v] of Object.entries(g.responses)) out.responses[k] = (out.responses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(g.latencyBuckets)) out.latencyBuckets[k] = (out.latencyBuckets[k] ?? 0) + v;
  }
  return out;
}

export function goldenTotal(g: GoldenSnapshot): number {
  return Object.values(g.responses).reduce((a, b) => a + b, 0);
}

/** Flagger's `request-success-rate`: non-failure responses in percent; undefined without traffic. */
export function goldenSuccessRate(increase: GoldenSnapshot): number | undefined {
  return successRatePercent(goldenTotal(increase), increase.responses.failure ?? 0);
}

/** Flagger's `request-duration` at quantile q (0.99), in milliseconds; undefined without observations. */
export function goldenLatencyQuantileMs(q: number, increase: GoldenSnapshot): number | undefined {
  const buckets: Bucket[] = [];
  for (const [le, count] of Object.entries(increase.latencyBuckets)) {
    const bound = parsePromValue(le);
    if (bound === undefined || Number.isNaN(bound)) continue;
    buckets.push({ le: bound, count });
  }
  const v = histogramQuantile(q, buckets);
  return Number.isFinite(v) ? v : undefined;
}
