import { describe, expect, it } from 'vitest';
import { reportTo } from '../support/report.js';
import { runControlPlaneOutage } from './control-plane-outage.js';

// The soak: 60 s down at 1,000 req/s (the short version is control-plane-outage.test.ts).
describe('the control plane killed under load (soak: 60 s down, 1,000 req/s)', () => {
  it('fails no request while it is down, and every proxy resyncs to a route changed meanwhile', async () => {
    const r = await runControlPlaneOutage({ proxies: 3, rate: 1000, before: 10, outage: 60, after: 30 });
    await reportTo(process.env.WEIR_RELIABILITY_REPORT, 'control-plane-outage-soak', r);
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.byPhase.down.requests).toBeGreaterThan(30_000);
    expect(r.resync).toHaveLength(3);
    for (const p of r.resync) expect(p.firstNewMs).toBeDefined();
  }, 1_200_000);
});
