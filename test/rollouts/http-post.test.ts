import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { canarySchema } from '../../engine/resources/index.js';
import { AlertNotifier } from '../../rollouts/alerts.js';
import { HttpWebhookRunner } from '../../rollouts/webhooks.js';
import { canary, NS } from './fixtures.js';

/** a self-signed certificate for 127.0.0.1 (test/support/tls, valid until 2126) */
const tls = {
  cert: readFileSync(join(import.meta.dirname, '../support/tls/cert.pem')),
  key: readFileSync(join(import.meta.dirname, '../support/tls/key.pem')),
};

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen(s: Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** answers 200 and keeps the bodies it got */
function collect(seen: string[]) {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(body);
      res.end('ok');
    });
  };
}

/** an HTTP proxy that tunnels CONNECT (undici's ProxyAgent tunnels http:// targets too); records what it was asked */
async function startProxy(): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const proxy = createHttpServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(405).end();
  });
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    asked.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  const port = await listen(proxy);
  return { url: `http://127.0.0.1:${port}`, asked };
}

describe('webhooks over HTTPS: disableTLS', () => {
  it('a self-signed webhook fails certificate verification unless the hook sets disableTLS', async () => {
    const seen: string[] = [];
    const port = await listen(createHttpsServer(tls, collect(seen)));
    const url = `https://127.0.0.1:${port}/gate/check`;
    const runner = new HttpWebhookRunner({ sleep: async () => undefined });
    const withHook = (disableTLS: boolean | undefined) =>
      canarySchema.parse(
        canary({
          webhooks: [
            { name: 'gate', type: 'confirm-rollout', url, ...(disableTLS !== undefined ? { disableTLS } : {}) },
          ],
        }),
      );

    const [refused] = await runner.run(withHook(undefined), 'confirm-rollout', 'Progressing');
    expect(refused).toMatchObject({ name: 'gate', ok: false });
    expect(refused?.message).toMatch(/^POST https:\/\/127\.0\.0\.1:\d+\/gate\/check: .*certificate/i);
    expect(seen).toHaveLength(0);

    const [accepted] = await runner.run(withHook(true), 'confirm-rollout', 'Progressing');
    expect(accepted).toEqual({ name: 'gate', ok: true });
    expect(JSON.parse(seen[0]!)).toMatchObject({ name: 'podinfo', namespace: NS, phase: 'Progressing' });
  });
});

describe('alerts through the AlertProvider proxy', () => {
  const note = { severity: 'error' as const, message: 'Canary analysis failed' };

  async function notifier(provider: Record<string, unknown>) {
    const store = new MemoryStore();
    await store.apply({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'chat', namespace: NS },
      spec: { type: 'slack', ...provider },
    });
    const c = canarySchema.parse(
      canary({ alerts: [{ name: 'oncall', severity: 'error', providerRef: { name: 'chat' } }] }),
    );
    return { c, alerts: new AlertNotifier({ store }) };
  }

  it('an http:// address goes through the proxy; the proxy is not used without `proxy`', async () => {
    const seen: string[] = [];
    const port = await listen(createHttpServer(collect(seen)));
    const proxy = await startProxy();

    const direct = await notifier({ address: `http://127.0.0.1:${port}/hook` });
    expect(await direct.alerts.notify(direct.c, note)).toEqual([{ alert: 'oncall', provider: `${NS}/chat`, ok: true }]);
    expect(proxy.asked).toEqual([]);

    const proxied = await notifier({ address: `http://127.0.0.1:${port}/hook`, proxy: proxy.url });
    expect(await proxied.alerts.notify(proxied.c, note)).toEqual([
      { alert: 'oncall', provider: `${NS}/chat`, ok: true },
    ]);
    expect(proxy.asked).toEqual([`CONNECT 127.0.0.1:${port}`]);
    expect(seen).toHaveLength(2);
    expect(JSON.parse(seen[1]!)).toMatchObject({ channel: 'general', username: 'flagger' });
  });

  it('a proxy that does not answer is a failed delivery naming the alert URL', async () => {
    const gone = await listen(createHttpServer());
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const { c, alerts } = await notifier({ address: 'http://127.0.0.1:9/hook', proxy: `http://127.0.0.1:${gone}` });
    const [d] = await alerts.notify(c, note);
    expect(d).toMatchObject({ alert: 'oncall', ok: false });
    expect(d?.message).toMatch(/^POST http:\/\/127\.0\.0\.1:9\/hook: /);
  });
});
