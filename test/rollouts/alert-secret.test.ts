import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema, type Secret } from '../../engine/resources/index.js';
import { AlertNotifier } from '../../rollouts/alerts.js';
import { canary, NS } from './fixtures.js';

describe("an AlertProvider's Secret: address and token", () => {
  const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  afterEach(async () => {
    seen.length = 0;
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  });

  async function notify(type: string, secret: Record<string, string>): Promise<void> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = new MemoryStore();
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret)) data[k] = Buffer.from(v.replace('BASE', base)).toString('base64');
    const obj: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'hook', namespace: NS },
      data,
    };
    await store.apply(obj);
    await store.apply({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'chat', namespace: NS },
      spec: { type, secretRef: { name: 'hook' } },
    });
    const c = canarySchema.parse(canary({ alerts: [{ name: 'a', severity: 'info', providerRef: { name: 'chat' } }] }));
    const [d] = await new AlertNotifier({ store }).notify(c, { severity: 'info', message: 'hello' });
    expect(d).toMatchObject({ ok: true });
  }

  it('Slack gets the token as Authorization: Bearer, at the address of the Secret', async () => {
    await notify('slack', { address: 'BASE/api/chat.postMessage', token: 'xoxb-123' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/api/chat.postMessage');
    expect(seen[0]?.headers.authorization).toBe('Bearer xoxb-123');
  });

  it('without a token no Authorization is sent; other types never send it (as Flagger)', async () => {
    await notify('slack', { address: 'BASE/hook' });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    await new Promise<void>((r) => server.close(() => r()));
    await notify('msteams', { address: 'BASE/teams', token: 'ignored' });
    expect(seen[1]?.path).toBe('/teams');
    expect(seen[1]?.headers.authorization).toBeUndefined();
  });
});
