import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { StatusOptions } from '../../controlplane/store/resource-store.js';
import type { KubeObject } from '../../engine/resources/index.js';
import { canarySchema, type Canary } from '../../engine/resources/index.js';
import { AlertNotifier, alertPayload, alertUrl, severityAdmits } from '../../rollouts/alerts.js';
import { ManualClock, startCanaryController, type CanaryController } from '../../rollouts/index.js';
import { HttpWebhookRunner, type WebhookPayload } from '../../rollouts/webhooks.js';
import { canary, deployment, FakeMetrics, fakeRuntime, NS, status } from './fixtures.js';

interface Seen {
  path: string;
  body: unknown;
}

/** a receiver answering per path: a list of statuses consumed in order (the last one repeats) */
async function receiver(plan: Record<string, number[]>): Promise<{ server: Server; base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ path, body: data ? JSON.parse(data) : undefined });
      const codes = plan[path] ?? [200];
      const code = codes.length > 1 ? codes.shift()! : codes[0]!;
      if (path === '/slow') return; // never answers
      res.statusCode = code;
      res.end(code >= 300 ? `no ${code}` : 'OK');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('webhook retries and timeouts', () => {
  let rx: Awaited<ReturnType<typeof receiver>>;
  const waits: number[] = [];
  const runner = () =>
    new HttpWebhookRunner({
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
  const hook = (path: string, extra: Record<string, unknown> = {}) =>
    canarySchema.parse(canary({ webhooks: [{ name: 'h', type: 'pre-rollout', url: rx.base + path, ...extra }] }));

  beforeEach(async () => {
    waits.length = 0;
    rx = await receiver({ '/flaky': [503, 429, 200], '/down': [500], '/teapot': [418], '/501': [501] });
  });
  afterEach(async () => {
    rx.server.closeAllConnections();
    await new Promise<void>((r) => rx.server.close(() => r()));
  });

  it('retries 5xx and 429 with exponential backoff until a 2xx', async () => {
    expect(await runner().run(hook('/flaky', { retries: 3 }), 'pre-rollout', 'Progressing')).toEqual([
      { name: 'h', ok: true },
    ]);
    expect(rx.seen).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('gives up after retries+1 attempts, keeping the last answer', async () => {
    expect(await runner().run(hook('/down', { retries: 2 }), 'pre-rollout', 'Progressing')).toEqual([
      { name: 'h', ok: false, message: 'giving up after 3 attempt(s): HTTP 500 no 500' },
    ]);
    expect(rx.seen).toHaveLength(3);
  });

  it('does not retry 4xx or 501, nor without retries', async () => {
    expect((await runner().run(hook('/teapot', { retries: 3 }), 'pre-rollout', 'Progressing'))[0]).toMatchObject({
      ok: false,
      message: 'no 418',
    });
    expect((await runner().run(hook('/501', { retries: 3 }), 'pre-rollout', 'Progressing'))[0]?.ok).toBe(false);
    expect((await runner().run(hook('/down'), 'pre-rollout', 'Progressing'))[0]).toMatchObject({ message: 'no 500' });
    expect(rx.seen).toHaveLength(3);
  });

  it('bounds each attempt by timeout and retries connection errors', async () => {
    const started = Date.now();
    const [slow] = await runner().run(hook('/slow', { timeout: '300ms', retries: 1 }), 'pre-rollout', 'Progressing');
    expect(slow?.ok).toBe(false);
    expect(slow?.message).toMatch(/giving up after 2 attempt\(s\): POST .*\/slow: no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const refused = canarySchema.parse(
      canary({ webhooks: [{ name: 'h', type: 'pre-rollout', url: 'http://127.0.0.1:1/x', retries: 2 }] }),
    );
    const [r] = await runner().run(refused, 'pre-rollout', 'Progressing');
    expect(r?.message).toMatch(/^giving up after 3 attempt\(s\): POST http:\/\/127.0.0.1:1\/x: /);
  });

  it('event hooks get the event in metadata, the hook metadata cannot override it', async () => {
    const c = canarySchema.parse(
      canary({
        webhooks: [{ name: 'ev', type: 'event', url: rx.base + '/ev', metadata: { team: 'a', eventType: 'forged' } }],
      }),
    );
    await runner().event(c, { type: 'Warning', reason: 'Synced', message: 'Halt' }, new Date(1234));
    expect(rx.seen[0]?.body).toMatchObject({
      name: 'podinfo',
      namespace: NS,
      metadata: { eventMessage: 'Halt', eventType: 'Warning', timestamp: '1234', team: 'a' },
    });
  });
});

describe('alerts', () => {
  it('severity filter: info gets all, warn gets warn+error, error only error; empty means info', () => {
    expect(['info', 'warn', 'error'].map((n) => severityAdmits('info', n as 'info'))).toEqual([true, true, true]);
    expect(['info', 'warn', 'error'].map((n) => severityAdmits('warn', n as 'info'))).toEqual([false, true, true]);
    expect(['info', 'warn', 'error'].map((n) => severityAdmits('error', n as 'info'))).toEqual([false, false, true]);
    expect(severityAdmits('', 'info')).toBe(true);
    const c = canarySchema.parse(canary({ alerts: [{ name: 'a', severity: '', providerRef: { name: 'p' } }] }));
    expect(c.spec.analysis?.alerts?.[0]?.severity).toBe('info');
  });

  it('payloads per provider type; discord posts Slack JSON to /slack', () => {
    const c = canarySchema.parse(canary());
    const note = { severity: 'error' as const, message: 'Failed checks threshold reached 2' };
    expect(alertPayload('slack', { channel: 'ops', username: 'weir' }, c, note)).toMatchObject({
      channel: 'ops',
      username: 'weir',
      attachments: [{ color: 'danger', author_name: 'podinfo.test', text: note.message }],
    });
    expect(alertPayload('msteams', {}, c, note)).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'FF0000',
      sections: [{ activityTitle: note.message, activitySubtitle: 'podinfo.test' }],
    });
    expect(alertPayload('gchat', {}, c, { ...note, metadata: true })).toMatchObject({
      cards: [{ header: { title: 'podinfo.test', subtitle: note.message } }],
    });
    expect(alertUrl('discord', 'https://discord.com/api/webhooks/1/x')).toBe(
      'https://discord.com/api/webhooks/1/x/slack',
    );
    expect(alertUrl('slack', 'https://hooks.slack.com/x')).toBe('https://hooks.slack.com/x');
  });

  describe('from the controller', () => {
    let clock: ManualClock;
    let store: MemoryStore;
    let runtime: ReturnType<typeof fakeRuntime>;
    let rx: Awaited<ReturnType<typeof receiver>>;
    let controller: CanaryController | undefined;

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 0, 1));
      store = new MemoryStore(() => clock.now());
      runtime = fakeRuntime(store);
      rx = await receiver({});
    });
    afterEach(async () => {
      await controller?.close();
      runtime.stop();
      await new Promise<void>((r) => rx.server.close(() => r()));
    });

    it('sends notes to providers by severity and every event to event hooks', async () => {
      for (const [name, path] of [
        ['all', '/all'],
        ['errors', '/errors'],
      ]) {
        await store.apply({
          apiVersion: 'flagger.app/v1beta1',
          kind: 'AlertProvider',
          metadata: { name: name!, namespace: NS },
          spec: { type: 'slack', address: rx.base + path },
        });
      }
      await store.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await store.apply(
        canary({
          threshold: 1,
          alerts: [
            { name: 'everything', severity: '', providerRef: { name: 'all' } },
            { name: 'oncall', severity: 'error', providerRef: { name: 'errors' } },
          ],
          webhooks: [{ name: 'audit', type: 'event', url: rx.base + '/events' }],
        }),
      );
      const metrics = new FakeMetrics();
      controller = startCanaryController({
        store,
        metrics,
        clock,
        alerts: new AlertNotifier({ store }),
      });
      await clock.runDue();
      await clock.advance(10_000); // Initialized
      await store.apply(deployment('podinfo', 'podinfo:6.0.1', 0));
      await clock.advance(10_000); // Progressing
      await clock.advance(10_000); // 10
      metrics.values['request-success-rate'] = 50;
      await clock.advance(10_000); // failed check 1/1
      await clock.advance(10_000); // rollback
      expect(status(store)?.phase).toBe('Failed');
      await controller.close();
      controller = undefined;

      const texts = (path: string) =>
        rx.seen
          .filter((s) => s.path === path)
          .map((s) => (s.body as { attachments: { text: string }[] }).attachments[0]!.text);
      expect(texts('/all')).toEqual([
        'New Deployment detected, initialization completed.',
        'New revision detected, progressing canary analysis.',
        'Failed checks threshold reached 1',
      ]);
      expect(texts('/errors')).toEqual(['Failed checks threshold reached 1']);
      const events = rx.seen.filter((s) => s.path === '/events').map((s) => s.body as WebhookPayload);
      expect(events.map((e) => e.metadata?.eventMessage)).toEqual(controller_messages(store));
      expect(events.at(-1)).toMatchObject({ phase: 'Failed', metadata: { eventType: 'Warning' } });
      // why it rolled back, in the status
      const cond = (store.get<Canary>('Canary', NS, 'podinfo')?.status?.conditions ?? []).find(
        (x) => x.type === 'Analysis',
      );
      expect(cond).toMatchObject({
        status: 'False',
        reason: 'MetricCheckFailed',
        message: 'metric request-success-rate: value 50 below the minimum 99 (failed checks 1/1)',
      });
    });

    // A controller killed after a tick's events but before its status is on disk takes the step again at its
    // next start: the event hook must hear that step once, not twice (its deliveries wait for the status).
    it('delivers no event of a tick whose status was not written; the tick that takes the step again delivers them once', async () => {
      let failStatus = (st: { phase?: string }) => st.phase === 'Initialized';
      const flaky = new (class extends MemoryStore {
        override async patchStatus<T extends KubeObject = KubeObject>(
          kind: string,
          namespace: string,
          name: string,
          st: unknown,
          options?: StatusOptions,
        ): Promise<T> {
          if (kind === 'Canary' && failStatus(st as { phase?: string })) {
            failStatus = () => false;
            throw new Error('no space left on device');
          }
          return super.patchStatus<T>(kind, namespace, name, st, options);
        }
      })(() => clock.now());
      runtime.stop();
      runtime = fakeRuntime(flaky);
      await flaky.apply(deployment('podinfo', 'podinfo:6.0.0'));
      await flaky.apply(canary({ webhooks: [{ name: 'audit', type: 'event', url: rx.base + '/events' }] }));
      controller = startCanaryController({ store: flaky, metrics: new FakeMetrics(), clock });
      await clock.runDue();
      for (let i = 0; i < 3 && status(flaky)?.phase !== 'Initialized'; i++) await clock.advance(10_000);
      expect(status(flaky)?.phase).toBe('Initialized');
      await controller.close();
      controller = undefined;

      const init = 'Initialization done! podinfo.test';
      // in the store each time the step was taken (twice), to the hook once
      const recorded = flaky.list<KubeObject & { message?: string }>('Event', NS).filter((e) => e.message === init);
      expect(recorded).toHaveLength(2);
      const delivered = rx.seen
        .filter((x) => x.path === '/events')
        .map((x) => (x.body as WebhookPayload).metadata?.eventMessage);
      expect(delivered.filter((m) => m === init)).toEqual([init]);
    });
  });
});

/** the events the controller recorded for the canary, in order, as Flagger words them */
function controller_messages(_store: MemoryStore): string[] {
  return [
    'Initialization done! podinfo.test',
    'New revision detected! Scaling up podinfo.test',
    'Starting canary analysis for podinfo.test',
    'Advance podinfo.test canary weight 10',
    'Halt podinfo.test advancement success rate 50.00% < 99%',
    'Rolling back podinfo.test failed checks threshold reached 1',
    'Canary failed! Scaling down podinfo.test',
  ];
}
