import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../engine/resources/index.js';
import { startOutboundProxy, type OutboundProxy } from '../../proxy/index.js';
import {
  backend,
  Client,
  endpoints,
  freePort,
  httpRoute,
  ManualConfigSource,
  service,
  type RuleInput,
} from './support/harness.js';
import { H2TestClient, h2load, h2loadRequests, startH2App, type H2App } from './support/h2.js';

/** HTTP/2 with prior knowledge (h2c) through the outbound proxy, on the same port as HTTP/1.1. */
describe('outbound proxy: h2c', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  interface Mesh {
    proxy: OutboundProxy;
    port: number;
    apps: Record<string, H2App>;
    svcs: Record<string, Service>;
  }

  /** Service `web` (its own app, two when `replicas` = 2) plus Services `v1`, `v2` with one app each */
  async function mesh(rules?: (port: (name: string) => number) => RuleInput[], replicas = 1): Promise<Mesh> {
    const apps: Record<string, H2App> = {};
    const svcs: Record<string, Service> = {};
    for (const name of ['web', 'web-b', 'v1', 'v2']) {
      if (name === 'web-b' && replicas < 2) continue;
      apps[name] = await startH2App(name);
      cleanup.push(() => apps[name]!.close());
    }
    for (const name of ['web', 'v1', 'v2']) svcs[name] = service(name, await freePort());
    const eps = [
      endpoints(svcs.web!, [
        { port: apps.web!.port, deployment: 'web' },
        ...(apps['web-b'] ? [{ port: apps['web-b'].port, deployment: 'web-b' }] : []),
      ]),
      endpoints(svcs.v1!, [{ port: apps.v1!.port, deployment: 'v1' }]),
      endpoints(svcs.v2!, [{ port: apps.v2!.port, deployment: 'v2' }]),
    ];
    const source = new ManualConfigSource({
      services: Object.values(svcs),
      httpRoutes:
        rules === undefined
          ? []
          : [
              httpRoute(
                'web-split',
                'web',
                rules((n) => svcs[n]!.spec.ports[0]!.port),
              ),
            ],
      endpoints: eps,
    });
    const proxy = await startOutboundProxy({ configSource: source });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    return { proxy, port: svcs.web!.spec.ports[0]!.port, apps, svcs };
  }

  function client(port: number): H2TestClient {
    const c = new H2TestClient(port);
    cleanup.push(() => c.close());
    return c;
  }

  it('forwards :authority, :path with its query, headers, body and trailers both ways, byte for byte', async () => {
    const m = await mesh();
    const c = client(m.port);
    const path = '/a%2Fb/./c//d?x=1&y=%20z&x=2#';
    const reply = await c.request(
      {
        ':method': 'POST',
        ':path': path,
        ':authority': 'very.specific.com:1234',
        'x-custom': 'Value  With  Spaces',
        'x-multi': ['one', 'two'],
        'content-type': 'text/plain',
      },
      { body: [Buffer.from('hello '), Buffer.from('world')], trailers: { 'x-req-trailer': 'done' } },
    );
    expect(reply.status).toBe(200);
    expect(reply.headers['x-served-by']).toBe('web');
    const seen = JSON.parse(reply.body.toString()) as {
      authority: string;
      path: string;
      method: string;
      headers: Record<string, string>;
      bodyLength: number;
      trailers: Record<string, string>;
    };
    expect(seen.authority).toBe('very.specific.com:1234');
    expect(seen.path).toBe(path);
    expect(seen.method).toBe('POST');
    expect(seen.headers['x-custom']).toBe('Value  With  Spaces');
    expect(seen.headers['x-multi']).toBe('one, two');
    expect(seen.bodyLength).toBe(11);
    expect(seen.trailers['x-req-trailer']).toBe('done');
    expect(reply.trailers?.['x-app-trailer']).toBe('web');
  });

  it('streams large bodies in both directions', async () => {
    const m = await mesh();
    const c = client(m.port);
    const mib = Buffer.alloc(1 << 20, 97);
    const reply = await c.request(
      { ':method': 'PUT', ':path': `/big?bytes=${16 << 20}` },
      { body: Array.from({ length: 16 }, () => mib), timeoutMs: 20_000 },
    );
    expect(reply.status).toBe(200);
    expect(reply.headers['x-received']).toBe(String(16 << 20));
    expect(reply.body.length).toBe(16 << 20);
  });

  it('balances every stream of one connection across the endpoints', async () => {
    const m = await mesh(undefined, 2);
    const c = client(m.port);
    const served = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        const r = await c.request({ ':path': '/' });
        const by = String(r.headers['x-served-by']);
        served.set(by, (served.get(by) ?? 0) + 1);
      }),
    );
    expect(served.get('web')).toBeGreaterThan(0);
    expect(served.get('web-b')).toBeGreaterThan(0);
    expect((served.get('web') ?? 0) + (served.get('web-b') ?? 0)).toBe(40);
  });

  it('serves HTTP/1.1 and h2c on the same Service port', async () => {
    const m = await mesh();
    // the app speaks h2 only; an HTTP/1.1 request still reaches the listener and gets the proxy's answer
    const h1 = new Client();
    cleanup.push(() => h1.close());
    const r1 = await h1.send(m.port, '/');
    expect(r1.status).toBeGreaterThanOrEqual(500);
    expect(r1.headers['weir-proxy-error']).toBeDefined();
    const r2 = await client(m.port).request({ ':path': '/' });
    expect(r2.status).toBe(200);
  });

  /** a proxy for one Service `name` with the given endpoints */
  async function single(name: string, eps: Array<{ port: number; ready?: boolean }>): Promise<number> {
    const svc = service(name, await freePort());
    const p = await startOutboundProxy({
      configSource: new ManualConfigSource({ services: [svc], httpRoutes: [], endpoints: [endpoints(svc, eps)] }),
      failFastMs: 200,
    });
    cleanup.push(() => p.close({ drainMs: 100 }));
    return svc.spec.ports[0]!.port;
  }

  it('answers proxy errors over h2: no route 404, no ready endpoint 503, refused 502', async () => {
    const m = await mesh((port) => [
      { matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], backendRefs: [backend('v1', port('v1'))] },
    ]);
    const miss = await client(m.port).request({ ':path': '/nowhere' });
    expect(miss.status).toBe(404);
    expect(miss.headers['weir-proxy-error']).toMatch(/no route matches GET \/nowhere/);
    expect(miss.headers['l5d-proxy-error']).toBe(miss.headers['weir-proxy-error']);
    expect((await client(m.port).request({ ':path': '/v1/x' })).headers['x-served-by']).toBe('v1');

    const none = await client(await single('idle', [{ port: m.apps.web!.port, ready: false }])).request({
      ':path': '/',
    });
    expect(none.status).toBe(503);
    expect(none.headers['weir-proxy-error']).toBeDefined();

    const refused = await client(await single('dead', [{ port: await freePort() }])).request({ ':path': '/' });
    expect(refused.status).toBe(502);
    expect(refused.headers['weir-proxy-error']).toMatch(/connection refused/);
  });

  it('close() lets an in-flight stream finish, then closes the connection', async () => {
    const app = await startH2App('slow', (stream) => {
      setTimeout(() => {
        if (stream.destroyed) return;
        stream.respond({ ':status': 200 });
        stream.end('late but complete');
      }, 300);
      return true;
    });
    cleanup.push(() => app.close());
    const svc = service('slow', await freePort());
    const proxy = await startOutboundProxy({
      configSource: new ManualConfigSource({
        services: [svc],
        httpRoutes: [],
        endpoints: [endpoints(svc, [{ port: app.port }])],
      }),
    });
    const c = client(svc.spec.ports[0]!.port);
    const pending = c.request({ ':path': '/' });
    await new Promise((r) => setTimeout(r, 100));
    const closed = proxy.close({ drainMs: 5_000 });
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('late but complete');
    await closed;
    await new Promise<void>((resolve) => (c.session.closed ? resolve() : c.session.once('close', () => resolve())));
  });

  it('h2load: 2000 requests over 4 connections x 10 streams all succeed', async () => {
    const m = await mesh(undefined, 2);
    const out = await h2load(['-n', '2000', '-c', '4', '-m', '10', `http://127.0.0.1:${m.port}/`]);
    const r = h2loadRequests(out);
    expect(r.succeeded).toBe(2000);
    expect(r.failed).toBe(0);
    // both endpoints took streams from the same few connections
    expect(m.apps.web!.seen.length).toBeGreaterThan(0);
    expect(m.apps['web-b']!.seen.length).toBeGreaterThan(0);
    expect(m.apps.web!.seen.length + m.apps['web-b']!.seen.length).toBe(2000);
  });

  it('h2load: a 75/25 HTTPRoute split holds over h2 (within 2 points)', async () => {
    const m = await mesh((port) => [{ backendRefs: [backend('v1', port('v1'), 3), backend('v2', port('v2'), 1)] }]);
    const out = await h2load(['-n', '1000', '-c', '2', '-m', '10', `http://127.0.0.1:${m.port}/`]);
    expect(h2loadRequests(out).succeeded).toBe(1000);
    const v1 = m.apps.v1!.seen.length;
    const v2 = m.apps.v2!.seen.length;
    expect(v1 + v2).toBe(1000);
    expect(Math.abs(v1 / 1000 - 0.75)).toBeLessThanOrEqual(0.02);
  });
});
