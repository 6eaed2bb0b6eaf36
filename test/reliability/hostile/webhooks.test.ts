import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { canarySchema, type KubeObject } from '../../../engine/resources/index.js';
import { ManualClock, startCanaryController } from '../../../rollouts/index.js';
import { postJson } from '../../../rollouts/http-post.js';
import { HttpWebhookRunner } from '../../../rollouts/webhooks.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, status } from '../../rollouts/fixtures.js';
import { peakGrowth } from './support.js';
import { startHostileWebhooks, type HostileWebhooks } from './hostile-webhook-server.js';

describe('webhooks that return garbage, hang, redirect in a loop or never end their body', () => {
  let rx: HostileWebhooks;
  beforeAll(async () => {
    rx = await startHostileWebhooks();
  });
  afterAll(() => rx.close());

  it.each([
    ['/garbage', /POST http:\/\/127\.0\.0\.1:\d+\/garbage: Response does not match the HTTP\/1\.1 protocol/],
    ['/hang', /no answer within 1000 ms/],
    ['/redirect', /^HTTP 302/],
    ['/endless', /\/endless: no answer within 1000 ms/],
    ['/json-garbage', null],
  ])('%s: the call ends within its 1 s timeout with an error naming what happened', async (path, want) => {
    const runner = new HttpWebhookRunner({ sleep: async () => undefined });
    const c = canarySchema.parse(
      canary({ webhooks: [{ name: 'h', type: 'pre-rollout', url: rx.base + path, timeout: '1s' }] }),
    );
    const start = Date.now();
    const { result: results, growth } = await peakGrowth(() => runner.run(c, 'pre-rollout', 'Progressing'));
    const result = results[0];
    expect(Date.now() - start).toBeLessThan(1_000 + 2_000);
    if (want === null) {
      // a 2xx is success whatever its body: Flagger reads no body of a hook that passed
      expect(result).toEqual({ name: 'h', ok: true });
    } else {
      expect(result?.ok).toBe(false);
      expect(result?.message).toMatch(want);
    }
    // an endless body is read and dropped past 64 KiB: memory stays bounded while it streams (loose
    // bound: collected garbage lags; the exact bound is the next test's)
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  });

  it('a 4 MiB error body is cut to 64 KiB in the hook error (and so in the Event)', async () => {
    const runner = new HttpWebhookRunner({ sleep: async () => undefined });
    const c = canarySchema.parse(
      canary({ webhooks: [{ name: 'h', type: 'pre-rollout', url: rx.base + '/huge-error', timeout: '5s' }] }),
    );
    const [result] = await runner.run(c, 'pre-rollout', 'Progressing');
    expect(result?.ok).toBe(false);
    expect(result?.message?.length).toBeGreaterThan(60 * 1024);
    expect(result?.message?.length).toBeLessThan(65 * 1024);
  });

  it('a redirect is never followed: one request per attempt', async () => {
    const before = rx.hits.get('/redirect') ?? 0;
    await postJson(rx.base + '/redirect', '{}', 1_000);
    expect((rx.hits.get('/redirect') ?? 0) - before).toBe(1);
  });

  it.each([
    ['/garbage', /Response does not match the HTTP\/1\.1 protocol/],
    ['/hang', /no answer within 1000 ms/],
    ['/redirect', /HTTP 302/],
    ['/endless', /no answer within 1000 ms/],
  ])(
    'the controller reports a pre-rollout hook at %s in an Event with the cause, and keeps reconciling',
    async (path, cause) => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const store = new MemoryStore(() => clock.now());
      const runtime = fakeRuntime(store);
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(
        canary({
          threshold: 2,
          webhooks: [{ name: 'gate', type: 'pre-rollout', url: rx.base + path, timeout: '1s' }],
        }) as KubeObject,
      );
      const controller = startCanaryController({ store, metrics: new FakeMetrics(), clock });
      try {
        await clock.runDue();
        await clock.advance(10_000); // Initialized
        await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
        for (let i = 0; i < 4; i++) await clock.advance(10_000); // the hook fails run after run
        const messages = store.list<KubeObject & { message: string }>('Event', NS).map((e) => e.message);
        const failures = messages.filter((m) => m.includes('gate') && cause.test(m));
        expect(failures.length, messages.join('\n')).toBeGreaterThan(0);
        // the failed checks counted up to the threshold: the controller went on reconciling and rolled back
        expect(status(store)?.phase, messages.join('\n')).toBe('Failed');
      } finally {
        await controller.close();
        runtime.stop();
      }
    },
    60_000,
  );
});
