import { Pool } from 'undici';

/** What the load generator saw for one version of the app, as a user would. */
export interface VersionTally {
  requests: number;
  errors: number;
}

export interface LoadStats {
  sent: number;
  ok: number;
  errors: number;
  /** responses by the `x-version` header the sample app sets ("proxy" when the proxy answered) */
  byVersion: Map<string, VersionTally>;
}

export interface SteadyLoad {
  stats: LoadStats;
  /** counts since the last call, then reset: for a live view */
  takeWindow(): LoadStats;
  stop(): Promise<void>;
}

function emptyStats(): LoadStats {
  return { sent: 0, ok: 0, errors: 0, byVersion: new Map() };
}

function count(s: LoadStats, version: string, ok: boolean): void {
  s.sent++;
  if (ok) s.ok++;
  else s.errors++;
  const t = s.byVersion.get(version) ?? { requests: 0, errors: 0 };
  t.requests++;
  if (!ok) t.errors++;
  s.byVersion.set(version, t);
}

/**
 * Open-loop load at a fixed rate against a URL, as a steady stream of users: requests are sent on a
 * schedule whether or not earlier ones have answered (bounded by `maxInFlight`).
 */
export function startSteadyLoad(url: string, rate: number, maxInFlight = 256): SteadyLoad {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 16, keepAliveTimeout: 10_000 });
  const total = emptyStats();
  let window = emptyStats();
  let inFlight = 0;
  let stopped = false;
  const started = performance.now();
  let scheduled = 0;

  const fire = (): void => {
    inFlight++;
    pool
      .request({ path: target.pathname + target.search, method: 'GET', headersTimeout: 5_000, bodyTimeout: 5_000 })
      .then(
        async (res) => {
          await res.body.dump();
          const v = res.headers['x-version'];
          const version = typeof v === 'string' ? v : res.headers['weir-proxy-error'] ? 'proxy' : 'unknown';
          const ok = res.statusCode < 500;
          count(total, version, ok);
          count(window, version, ok);
        },
        () => {
          count(total, 'connection-error', false);
          count(window, 'connection-error', false);
        },
      )
      .finally(() => inFlight--);
  };

  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (scheduled < due) {
      scheduled++;
      if (inFlight < maxInFlight) fire();
    }
  }, 10);

  return {
    stats: total,
    takeWindow() {
      const w = window;
      window = emptyStats();
      return w;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + 5_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await pool.destroy();
    },
  };
}
