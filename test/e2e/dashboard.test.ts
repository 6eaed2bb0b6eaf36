import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/weir-process.js';
import {
  canaryManifests,
  canaryStatus,
  routeWeights,
  setVersion,
  startWeirUpGroup,
  waitFor,
  type GroupProcess,
} from './canary-fixtures.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or $CHROMIUM_PATH */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** where the page is photographed after the rollback; `WEIR_DASHBOARD_SCREENSHOT=docs/dashboard.png` refreshes the docs' image */
const SCREENSHOT = process.env.WEIR_DASHBOARD_SCREENSHOT;

async function text(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return res.text();
}

// The dashboard in a real browser during a real rollout under `weir up`: the canary's weight moves on the
// page, Abort asks for a confirmation, and the page shows the rollback (Failed, weight 0, the reason).
describe('the dashboard in headless Chromium during a rollout', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await up?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the weight change live, aborts on a confirmed click, and shows the rollback', async () => {
    expect(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM} (apt-get install chromium, or CHROMIUM_PATH)`).toBe(
      true,
    );
    dir = await mkdtemp(join(tmpdir(), 'weir-dashboard-'));
    const port = await freePort();
    const ltPort = await freePort();
    const lt = `http://127.0.0.1:${ltPort}`;
    // steps of 10 up to 50, then held by a closed confirm-promotion gate until the abort; load from the
    // built-in loadtester so that the charts have traffic on both sides
    await writeFile(
      join(dir, 'app.yaml'),
      canaryManifests({
        port,
        analysis: {
          stepWeight: 10,
          maxWeight: 50,
          webhooks: [
            { name: 'ci-gate', type: 'confirm-promotion', url: `${lt}/gate/check` },
            {
              name: 'load',
              type: 'rollout',
              url: `${lt}/`,
              metadata: { type: 'load', url: `http://127.0.0.1:${port}/`, rate: '20', duration: '3m' },
            },
          ],
        },
      }),
    );
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state'), '--loadtester-port', String(ltPort)], 60_000);
    const u = up;
    const [dashboard, metrics] = await waitFor('the dashboard and metrics lines', 30_000, async () => {
      const d = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(u.output());
      const m = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(u.output());
      return d && m ? [d[1]!, m[1]!] : undefined;
    });
    const api = up.api;
    await waitFor('Initialized', 90_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 });
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(60_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await inBrowser(page, dashboard, metrics, api, lt);
    } catch (err) {
      // what the page showed and said, for a failure on a loaded machine
      const shown = await page
        .locator('body')
        .innerText({ timeout: 5_000 })
        .catch(() => '(unreadable)');
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\n--- page errors: ${pageErrors.join('; ') || 'none'}\n--- page:\n${shown}\n--- weir up:\n${u.output().slice(-3_000)}`,
        { cause: err },
      );
    }
    expect(pageErrors).toEqual([]);
  }, 420_000);
});

/** the browser's part: list, canary page during the run, metrics scraped, abort with confirmation, mesh view */
async function inBrowser(page: Page, dashboard: string, metrics: string, api: string, lt: string): Promise<void> {
  await page.goto(`${dashboard}#/`);
  await expect.poll(() => page.locator('[data-testid=canary-row]').count(), { timeout: 30_000 }).toBe(1);
  await page.click('text=podinfo');
  await page.waitForURL(/#\/canary\/test\/podinfo$/);
  const weightOnPage = async () => Number(await page.locator('[data-testid=canary-weight]').innerText());
  const phaseOnPage = () => page.locator('h1 [data-testid=phase]').innerText();
  await expect.poll(phaseOnPage, { timeout: 60_000 }).toBe('Initialized');
  expect(await weightOnPage()).toBe(0);

  // a new revision: the page follows the weight without a reload
  await setVersion(api, '2.0.0');
  await expect.poll(weightOnPage, { timeout: 90_000, interval: 250 }).toBeGreaterThan(0);
  await expect.poll(phaseOnPage, { timeout: 90_000 }).toBe('WaitingPromotion');
  await expect.poll(weightOnPage, { timeout: 30_000 }).toBe(50);
  expect(await routeWeights(api)).toEqual([50, 50]);
  // the canary's traffic reached the charts: the weight chart has points, the success-rate card a value
  await expect
    .poll(() => page.locator('.card', { hasText: 'Success rate' }).innerText(), { timeout: 60_000 })
    .toMatch(/\d+\.\d%\s*\/\s*\d+\.\d%/);
  expect(await page.locator('.uplot').count()).toBe(3);
  expect(await page.locator('[data-testid=events]').innerText()).toContain('Advance podinfo.test canary weight 10');

  // the controller's Flagger metrics and the loadtester's, scraped
  const scraped = await text(metrics);
  expect(scraped).toMatch(/^flagger_info\{version="\d+\.\d+\.\d+",mesh_provider="gatewayapi:v1"\} 1$/m);
  expect(scraped).toContain('flagger_canary_weight{workload="podinfo",namespace="test"} 50');
  expect(scraped).toContain('flagger_canary_weight{workload="podinfo-primary",namespace="test"} 50');
  expect(scraped).toContain('flagger_canary_status{name="podinfo",namespace="test"} 1');
  expect(scraped).toMatch(/^process_cpu_user_seconds_total \d/m);
  expect(scraped).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  const ltMetrics = await text(`${lt}/metrics`);
  expect(ltMetrics).toMatch(
    /^weir_loadtester_requests_total\{canary="podinfo.test",task="\w+",kind="load",status="200"\} [1-9]/m,
  );
  expect(ltMetrics).toContain('weir_loadtester_tasks_running{kind="load"} 1');
  expect(ltMetrics).toMatch(/^process_resident_memory_bytes \d/m);

  // Abort asks first: Cancel leaves the run alone
  await page.click('button[data-action=abort]');
  await expect.poll(() => page.locator('[data-testid=confirm-dialog]').isVisible()).toBe(true);
  expect(await page.locator('#confirm-text').innerText()).toContain('Abort podinfo.test?');
  await page.click('[data-testid=confirm-cancel]');
  expect(await page.locator('[data-testid=action-note]').innerText()).toBe('');
  expect((await canaryStatus(api)).phase).toBe('WaitingPromotion');
  // ... Confirm aborts: the page shows the rollback
  await page.click('button[data-action=abort]');
  await page.click('[data-testid=confirm-ok]');
  await expect
    .poll(() => page.locator('[data-testid=action-note]').innerText(), { timeout: 10_000 })
    .toContain('abort requested for canary podinfo.test');
  await expect.poll(phaseOnPage, { timeout: 60_000 }).toBe('Failed');
  await expect.poll(weightOnPage, { timeout: 30_000 }).toBe(0);
  await expect
    .poll(() => page.locator('[data-testid=failure-reason]').innerText(), { timeout: 30_000 })
    .toMatch(/aborted manually/);
  expect(await canaryStatus(api)).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
  expect(await routeWeights(api)).toEqual([100, 0]);
  // the charts have drawn the rollback too before the picture: a point at weight 0 after Failed, then a refresh
  await waitFor('a chart point of the rollback', 30_000, async () => {
    const d = (await (await fetch(`${dashboard}api/canaries/test/podinfo`)).json()) as {
      points: Array<{ phase: string; canaryWeight: number }>;
    };
    return d.points.some((p) => p.phase === 'Failed' && p.canaryWeight === 0) ? true : undefined;
  });
  const updated = await page.locator('#status').innerText();
  await expect.poll(() => page.locator('#status').innerText(), { timeout: 10_000 }).not.toBe(updated);
  if (SCREENSHOT) {
    const file = resolve(SCREENSHOT);
    await mkdir(dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
  }

  // the mesh view lists the Deployments from their sidecars
  await page.click('text=Mesh');
  await expect.poll(() => page.locator('[data-testid=workload-row]').count(), { timeout: 30_000 }).toBe(2);
  expect(await page.locator('table').first().innerText()).toContain('test/podinfo-primary');
}
