/**
 * The pure part of bench/control-plane-outage.ts: from what the open-loop client recorded and when
 * the control plane went away and came back, the figures of the report. All instants are ms on one
 * clock.
 */
import { percentileSorted } from './stats.js';

export interface RequestRecord {
  /** when the request was due (the open-loop schedule), and when its answer (or failure) came */
  due: number;
  done: number;
  /** which proxy it went through (0-based) */
  proxy: number;
  /** a 200 with a body */
  ok: boolean;
  /** the `x-upstream` header of the answer */
  upstream?: string;
  /** why it failed: `status 503`, `ECONNRESET`, `timeout` ... */
  error?: string;
}

export interface OutageTimes {
  /** the control plane was killed */
  killedAt: number;
  /** it was listening again (the route change is in its store from the start) */
  restartedAt: number;
}

export interface LatencySummary {
  requests: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export type Phase = 'before' | 'down' | 'after';

export interface ProxyResync {
  proxy: number;
  /** ms from the restart to the proxy's first `applied` line after it (undefined: none seen) */
  appliedMs: number | undefined;
  /** ms from the restart to the due time of its first request served by the new upstream */
  firstNewMs: number | undefined;
  /**
   * ms from the restart to the due time of its last request served by the old upstream, 0 when none
   * after the restart: from then on every answer came from the new one
   */
  lastOldMs: number;
}

export interface OutageReport {
  total: number;
  failed: number;
  /** failures by reason, most frequent first */
  failures: Array<[string, number]>;
  byPhase: Record<Phase, LatencySummary>;
  resync: ProxyResync[];
  /** over all proxies: the slowest of each column (undefined if a proxy never got there) */
  slowest: { appliedMs: number | undefined; firstNewMs: number | undefined; lastOldMs: number };
}

/** the phase of a request by its due time */
export function phaseOf(due: number, t: OutageTimes): Phase {
  if (due < t.killedAt) return 'before';
  if (due < t.restartedAt) return 'down';
  return 'after';
}

function summarize(records: readonly RequestRecord[]): LatencySummary {
  const lat = records.map((r) => r.done - r.due).sort((a, b) => a - b);
  return {
    requests: records.length,
    failed: records.filter((r) => !r.ok).length,
    p50: percentileSorted(lat, 50),
    p99: percentileSorted(lat, 99),
    max: lat.length > 0 ? lat[lat.length - 1]! : NaN,
  };
}

/**
 * The report: failed requests (all, and by phase), latency from the due time by phase, and per proxy
 * how long after the restart the change made while the control plane was down was in force.
 * `applied[i]` are the instants proxy i printed that a configuration from the control plane was applied.
 */
export function outageReport(
  records: readonly RequestRecord[],
  times: OutageTimes,
  applied: ReadonlyArray<readonly number[]>,
  upstreams: { before: string; after: string },
): OutageReport {
  if (!(times.restartedAt >= times.killedAt))
    throw new Error(`restartedAt (${times.restartedAt}) is before killedAt (${times.killedAt})`);
  const phases: Record<Phase, RequestRecord[]> = { before: [], down: [], after: [] };
  const reasons = new Map<string, number>();
  for (const r of records) {
    phases[phaseOf(r.due, times)].push(r);
    if (!r.ok) reasons.set(r.error ?? 'failed', (reasons.get(r.error ?? 'failed') ?? 0) + 1);
  }
  const resync: ProxyResync[] = applied.map((lines, proxy) => {
    const mine = records
      .filter((r) => r.proxy === proxy && r.ok && r.due >= times.restartedAt)
      .sort((a, b) => a.due - b.due);
    const firstApplied = lines.find((at) => at >= times.restartedAt);
    const firstNew = mine.find((r) => r.upstream === upstreams.after);
    const olds = mine.filter((r) => r.upstream === upstreams.before);
    return {
      proxy,
      appliedMs: firstApplied === undefined ? undefined : firstApplied - times.restartedAt,
      firstNewMs: firstNew === undefined ? undefined : firstNew.due - times.restartedAt,
      lastOldMs: olds.length === 0 ? 0 : olds[olds.length - 1]!.due - times.restartedAt,
    };
  });
  const slowest = (xs: Array<number | undefined>): number | undefined =>
    xs.some((x) => x === undefined) || xs.length === 0 ? undefined : Math.max(...(xs as number[]));
  return {
    total: records.length,
    failed: records.filter((r) => !r.ok).length,
    failures: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
    byPhase: { before: summarize(phases.before), down: summarize(phases.down), after: summarize(phases.after) },
    resync,
    slowest: {
      appliedMs: slowest(resync.map((r) => r.appliedMs)),
      firstNewMs: slowest(resync.map((r) => r.firstNewMs)),
      lastOldMs: Math.max(0, ...resync.map((r) => r.lastOldMs)),
    },
  };
}
