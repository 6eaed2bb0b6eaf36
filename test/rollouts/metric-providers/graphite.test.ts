import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphite, type GraphiteServer } from '../../support/graphite.js';
import { queryTemplate } from './replay.js';

// Flagger's graphite provider speaks the Render API (`/render?...&format=json`), which graphite-web 1.1
// (Debian bookworm's package) serves: the provider runs against the real server.
describe('graphite against a real graphite-web', () => {
  let graphite: GraphiteServer;

  beforeAll(async () => {
    graphite = await startGraphite();
  }, 40_000);
  afterAll(async () => {
    await graphite?.close();
  });

  it('renders the template into render parameters and reads the last non-null datapoint', async () => {
    const now = Math.floor(Date.now() / 1000);
    await graphite.write('weir.podinfo.requests', [
      [now - 30, 1],
      [now - 20, 2.5],
      [now - 10, 4],
    ]);
    await graphite.write('weir.other.requests', [[now - 10, 10]]);
    const q = (query: string) =>
      queryTemplate({ provider: { type: 'graphite', address: graphite.url }, query, interval: '1m', now: new Date() });
    expect(await q('target=weir.{{ target }}.requests&from=-5min')).toBe(4);
    // a function over two series: the last non-null point of the sum
    expect(await q('target=sumSeries(weir.*.requests)&from=-5min')).toBe(14);
    // Flagger's templates split over lines: whitespace is collapsed
    expect(
      await q(`target=scale(
          weir.{{ target }}.requests,
          10
        )&from=-5min`),
    ).toBe(40);
    // a metric that does not exist: no series, no data
    expect(await q('target=weir.nothing.requests&from=-1min')).toBeUndefined();
  });

  it('a render error (an unknown function) is a query error', async () => {
    await expect(
      queryTemplate({
        provider: { type: 'graphite', address: graphite.url },
        query: 'target=noSuchFunction(weir.podinfo.requests)',
        now: new Date(),
      }),
    ).rejects.toThrow(/MetricTemplate test\/t: graphite: error response: HTTP (400|500)/);
  });
});
