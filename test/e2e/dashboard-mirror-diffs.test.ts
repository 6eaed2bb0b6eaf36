import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { startDashboard, type Dashboard } from '../../dashboard/server.js';
import { canary, NS } from '../rollouts/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The Canary page's "Mirror differences" panel in headless Chromium: it shows what the mirroring proxies
// found (here given to the dashboard as weir up gives it, from GET /weir/v1/mirror-diffs's collector).
describe('dashboard: mirror differences panel', () => {
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("shows a difference between the primary's and the canary's answer on the Canary's page", async () => {
    expect(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM}`).toBe(true);
    const store = new MemoryStore();
    await store.apply(canary({ stepWeight: undefined, maxWeight: undefined, iterations: 5, mirror: true }));
    const asked: string[] = [];
    dashboard = await startDashboard({
      store,
      mirrorDiffs: async (q) => {
        asked.push(q.mirror);
        return {
          differences: [
            {
              time: new Date().toISOString(),
              route: `${NS}/podinfo`,
              primary: `${NS}/podinfo-primary`,
              mirror: `${NS}/podinfo-canary`,
              method: 'GET',
              path: '/api/info',
              differences: [{ reason: 'field-value', field: '$.message', primary: '"hello"', canary: '"bye"' }],
              proxy: 'weir-up/outbound',
            },
          ],
          totals: [{ route: `${NS}/podinfo`, primary: '', mirror: `${NS}/podinfo-canary`, compared: 7, differing: 1 }],
          noise: {},
          failed: {},
        };
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 });
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}#/canary/${NS}/podinfo`, { timeout: 30_000 });
    const summary = page.getByTestId('mirror-diff-summary');
    await summary.waitFor({ timeout: 30_000 });
    expect(await summary.textContent()).toBe('1 of 7 compared requests differed');
    const table = await page.getByTestId('mirror-diffs').textContent({ timeout: 10_000 });
    expect(table).toContain('GET /api/info');
    expect(table).toContain('$.message: "hello" (primary) vs "bye" (canary)');
    expect(asked[0]).toBe(`${NS}/podinfo-canary`);
  }, 120_000);
});
