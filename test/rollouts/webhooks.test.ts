import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canarySchema } from '../../engine/resources/index.js';
import { HttpWebhookRunner, type WebhookPayload } from '../../rollouts/index.js';
import { canary } from './fixtures.js';

describe('HTTP webhook runner (Flagger contract)', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; body: WebhookPayload }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', body: JSON.parse(data) as WebhookPayload });
        const code = req.url === '/gate/halt' ? 403 : req.url === '/accepted' ? 202 : req.url === '/203' ? 203 : 200;
        res.statusCode = code;
        res.end(code === 403 ? 'Forbidden' : 'OK');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const withHooks = (hooks: { name: string; type: string; path: string }[]) =>
    canarySchema.parse(
      canary({
        webhooks: hooks.map((h) => ({ name: h.name, type: h.type, url: base + h.path, metadata: { cmd: 'hey' } })),
      }),
    );

  it('posts the payload; any 2xx passes (Weir: 203 too), 403 fails with the body; first failure stops', async () => {
    const c = withHooks([
      { name: 'a', type: 'pre-rollout', path: '/accepted' },
      { name: 'b', type: 'pre-rollout', path: '/203' },
      { name: 'c', type: 'pre-rollout', path: '/gate/halt' },
      { name: 'd', type: 'pre-rollout', path: '/never' },
      { name: 'gate', type: 'confirm-rollout', path: '/gate/halt' },
    ]);
    const r = await new HttpWebhookRunner().run(c, 'pre-rollout', 'Progressing');
    expect(r).toEqual([
      { name: 'a', ok: true },
      { name: 'b', ok: true },
      { name: 'c', ok: false, message: 'Forbidden' },
    ]);
    expect(seen.map((s) => s.path)).toEqual(['/accepted', '/203', '/gate/halt']);
    expect(seen[0]?.body).toMatchObject({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Progressing',
      metadata: { cmd: 'hey' },
    });
    expect(seen[0]?.body.checksum).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(await new HttpWebhookRunner().run(c, 'confirm-rollout', 'Initialized')).toEqual([
      { name: 'gate', ok: false, message: 'Forbidden' },
    ]);
  });

  it('rollback hooks stop at the first success', async () => {
    const c = withHooks([
      { name: 'no', type: 'rollback', path: '/gate/halt' },
      { name: 'yes', type: 'rollback', path: '/ok' },
      { name: 'later', type: 'rollback', path: '/ok' },
    ]);
    expect(await new HttpWebhookRunner().run(c, 'rollback', 'Progressing')).toEqual([
      { name: 'no', ok: false, message: 'Forbidden' },
      { name: 'yes', ok: true },
    ]);
  });
});
