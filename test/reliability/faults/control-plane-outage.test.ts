import { describe, expect, it } from 'vitest';
import { reportTo } from '../support/report.js';
import { runControlPlaneOutage } from './control-plane-outage.js';

// Short version of control-plane-outage.soak.test.ts (60 s down at 1,000 req/s).
describe('the control plane killed under load (short: 6 s down, 200 req/s)', () => {
  it('fails no request while it is down, and every proxy resyncs to a route changed meanwhile', async () => {
    const r = await runControlPlaneOutage({ proxies: 3, rate: 200, before: 3, outage: 6, after: 20 });
    await reportTo(process.env.WEIR_RELIABILITY_REPORT, 'control-plane-outage-short', r);
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.byPhase.down.requests).toBeGreaterThan(200);
    expect(r.resync).toHaveLength(3);
    for (const p of r.resync) expect(p.firstNewMs).toBeDefined();
  }, 600_000);
});
