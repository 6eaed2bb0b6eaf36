import type { LoadStats } from './load.js';

export interface Golden {
  /** percent, undefined when no traffic in the window */
  successRate?: number;
  /** milliseconds */
  p99?: number;
  rps?: number;
}

export interface GoldenPair {
  primary: Golden;
  canary: Golden;
}

function pct(v: number | undefined): string {
  return v === undefined ? '    -  ' : `${v.toFixed(1).padStart(5)}%`;
}

function ms(v: number | undefined): string {
  return v === undefined ? '   - ' : `${v.toFixed(0).padStart(3)}ms`;
}

/** One line of the live view: phase, weights, and each side's golden metrics as the proxies saw them. */
export function formatViewLine(
  t: number,
  phase: string,
  weight: number,
  failedChecks: number,
  g: GoldenPair,
  window: LoadStats,
): string {
  const versions = [...window.byVersion.entries()].map(([v, n]) => `${v}:${n.requests}`).join(' ');
  return (
    `  ${t.toFixed(0).padStart(4)}s  ${phase.padEnd(16)} primary ${String(100 - weight).padStart(3)}% | canary ${String(weight).padStart(3)}%` +
    `   primary SR ${pct(g.primary.successRate)} p99 ${ms(g.primary.p99)}` +
    `   canary SR ${pct(g.canary.successRate)} p99 ${ms(g.canary.p99)}` +
    `   failed checks ${failedChecks}   users: ${versions}`
  );
}
