import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema } from '../../engine/resources/index.js';
import { MeshMetricsProvider } from '../../rollouts/index.js';
import { canary } from './fixtures.js';

const labels = (mirror: string) =>
  `route="test/podinfo",primary_namespace="test",primary_service="podinfo-primary",mirror_namespace="test",mirror_service="${mirror}"`;
const text = (compared: number, differing: number, mirror = 'podinfo-canary') =>
  `mirror_diff_requests_total{${labels(mirror)}} ${compared}\nmirror_diff_differing_total{${labels(mirror)}} ${differing}\n`;

describe('mirror-diff-rate from the mirroring proxies', () => {
  it("is the percent of compared requests that differed over the window, for the Canary's -canary mirror only", async () => {
    let now = 0;
    let exposition = text(10, 0) + text(5, 5, 'other-canary');
    const mp = new MeshMetricsProvider({
      store: new MemoryStore(),
      clock: { now: () => new Date(now), setTimeout: () => ({}) as never, clearTimeout: () => {} } as never,
      mirrorDiffSources: () => ['http://proxy/metrics'],
      scrape: async () => exposition,
    });
    const cr = canarySchema.parse(canary({ metrics: [{ name: 'mirror-diff-rate', thresholdRange: { max: 5 } }] }));
    const q = { canary: cr, metric: cr.spec.analysis!.metrics![0]!, windowMs: 60_000 } as never;
    // one sample: no increase yet, no data
    expect(await mp.query(q)).toBeUndefined();
    now = 10_000;
    exposition = text(30, 5) + text(50, 50, 'other-canary');
    // 20 more compared, 5 of them differed
    expect(await mp.query(q)).toBe(25);
    // outside the window: the old samples no longer count
    now = 200_000;
    exposition = text(40, 5);
    expect(await mp.query({ ...(q as object), windowMs: 1_000 } as never)).toBeUndefined();
  });
});
