import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from '../../../cli/proxy/forward-proxy.js';
import type { ListenerInfo } from '../../../proxy/index.js';
import { service, startEcho, type Echo } from '../../proxy/support/harness.js';

/** GET `url` through the proxy at `port` (absolute-form request target, as HTTP_PROXY clients send) */
function viaProxy(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: url, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the forward proxy of a sidecar (the app’s HTTP_PROXY)', () => {
  let web: Echo;
  let shared: Echo;
  let outside: Echo;
  let proxy: ForwardProxy;

  beforeAll(async () => {
    [web, shared, outside] = [await startEcho('web'), await startEcho('shared'), await startEcho('outside')];
    const webSvc = service('web', 80, 'shop');
    const sharedSvc = service('shared', 80, 'shop');
    sharedSvc.spec.clusterIP = '127.0.1.7';
    // the sidecar's outbound listeners, here stood in for by the echo servers
    const listeners: ListenerInfo[] = [
      { namespace: 'shop', service: 'web', port: 80, host: '127.0.0.1', listenPort: web.port },
      { namespace: 'shop', service: 'shared', port: 80, host: '127.0.0.1', listenPort: shared.port },
    ];
    proxy = await startForwardProxy({
      host: '127.0.0.1',
      port: 0,
      listeners: () => listeners,
      services: () => [webSvc, sharedSvc],
      namespace: 'shop',
      serviceHost: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([web.close(), shared.close(), outside.close()]);
  });

  it('sends a request for a Service by name, short name or address to its outbound listener', async () => {
    for (const url of [
      'http://web.shop:80/a',
      'http://web.shop.svc.cluster.local/a',
      'http://web/a',
      'http://127.0.0.1:80/a',
    ]) {
      const r = await viaProxy(proxy.port, url);
      expect({ url, status: r.status, app: (JSON.parse(r.body) as { app: string }).app }).toEqual({
        url,
        status: 200,
        app: 'web',
      });
    }
    const byClusterIp = await viaProxy(proxy.port, 'http://127.0.1.7/b?x=1');
    expect(JSON.parse(byClusterIp.body)).toMatchObject({ app: 'shared', url: '/b?x=1' });
  });

  it('passes anything else straight through, and tunnels CONNECT the same way', async () => {
    const r = await viaProxy(proxy.port, `http://127.0.0.1:${outside.port}/c`);
    expect(JSON.parse(r.body)).toMatchObject({ app: 'outside', url: '/c' });

    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(proxy.port, '127.0.0.1', () =>
        s.write('CONNECT web.shop:80 HTTP/1.1\r\nhost: web.shop:80\r\n\r\n'),
      );
      let got = '';
      let sent = false;
      s.on('data', (d: Buffer) => {
        got += d.toString();
        // once the tunnel is up, speak HTTP to the Service through it
        if (!sent && got.includes('\r\n\r\n')) {
          sent = true;
          s.write('GET /t HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n');
        }
      });
      s.on('end', () => resolve(got));
      s.on('error', reject);
      s.setTimeout(5_000, () => reject(new Error('timeout')));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
    expect(answer).toContain('x-served-by: web');
  });

  it('refuses a request that is not for an absolute http URL', async () => {
    const r = await viaProxy(proxy.port, '/relative');
    expect(r).toEqual({ status: 400, body: 'forward proxy: an absolute http:// URL is required\n' });
  });
});
