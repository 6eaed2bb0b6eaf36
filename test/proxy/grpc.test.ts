import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { grpcRouteSchema, type GRPCRoute, type Service } from '../../engine/resources/index.js';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../proxy/index.js';
import { backend, Client, endpoints, freePort, ManualConfigSource, service } from './support/harness.js';
import { grpcClient, startGrpcApp, unary, type GrpcApp, type Msg, type TestClient } from './support/grpc.js';
import { parsePrometheusText, total } from './support/prom.js';

type GrpcRuleInput = z.input<typeof grpcRouteSchema>['spec']['rules'] extends (infer R)[] | undefined ? R : never;

function grpcRoute(name: string, parent: string, rules: GrpcRuleInput[]): GRPCRoute {
  return grpcRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name, namespace: 'test' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: parent }], rules },
  });
}

/** client (grpc-js) -> outbound proxy -> inbound proxy (one per pod) -> gRPC app (grpc-js) */
describe('gRPC through the mesh', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  interface Pod {
    app: GrpcApp;
    inbound: InboundProxy;
  }

  async function pod(deployment: string): Promise<Pod> {
    const app = await startGrpcApp(deployment);
    const inbound = await startInboundProxy({
      appPort: app.port,
      namespace: 'test',
      deployment,
      pod: `${deployment}-7d9f8-abcde`,
    });
    cleanup.push(
      () => app.close(),
      () => inbound.close({ drainMs: 100 }),
    );
    return { app, inbound };
  }

  interface Mesh {
    outbound: OutboundProxy;
    port: number;
    pods: Record<string, Pod>;
    svcs: Record<string, Service>;
    source: ManualConfigSource;
    snapshot(grpcRoutes: GRPCRoute[]): void;
  }

  /** Service `api` with pod `api`, Services `v1`, `v2` with one pod each */
  async function mesh(routes?: (port: (n: string) => number) => GRPCRoute[]): Promise<Mesh> {
    const pods: Record<string, Pod> = {};
    const svcs: Record<string, Service> = {};
    for (const name of ['api', 'v1', 'v2']) {
      pods[name] = await pod(name);
      svcs[name] = service(name, await freePort(), 'test');
    }
    const port = (n: string) => svcs[n]!.spec.ports[0]!.port;
    const content = (grpcRoutes: GRPCRoute[]) => ({
      services: Object.values(svcs),
      httpRoutes: [],
      grpcRoutes,
      endpoints: Object.entries(svcs).map(([n, svc]) =>
        endpoints(svc, [{ port: pods[n]!.inbound.port, deployment: n, namespace: 'test' }]),
      ),
    });
    const source = new ManualConfigSource(content(routes?.(port) ?? []));
    const outbound = await startOutboundProxy({
      configSource: source,
      namespace: 'test',
      deployment: 'client',
      failFastMs: 300,
    });
    cleanup.push(() => outbound.close({ drainMs: 100 }));
    return {
      outbound,
      port: port('api'),
      pods,
      svcs,
      source,
      snapshot: (g) => source.set(content(g)),
    };
  }

  function client(port: number): TestClient {
    const c = grpcClient(port);
    cleanup.push(() => c.close());
    return c;
  }

  it('unary: reply, request metadata, response headers and trailers arrive through both proxies', async () => {
    const m = await mesh();
    const c = client(m.port);
    const md = new grpc.Metadata();
    md.set('x-request-tag', 'abc');
    const r = await new Promise<{ reply: Msg; headers?: grpc.Metadata; trailers?: grpc.Metadata }>(
      (resolve, reject) => {
        let headers: grpc.Metadata | undefined;
        const call = c.Echo({ text: 'hello' }, md, { deadline: Date.now() + 5_000 }, (err, res) => {
          if (err) reject(err);
          else call.on('status', (s) => resolve({ reply: res as Msg, headers, trailers: s.metadata }));
        });
        call.on('metadata', (h) => (headers = h));
      },
    );
    expect(r.reply).toMatchObject({ app: 'api', text: 'hello' });
    expect(r.reply.metadata?.['x-request-tag']).toBe('abc');
    expect(r.headers?.get('x-served-by')).toEqual(['api']);
    expect(r.trailers?.get('x-app-trailer')).toEqual(['api']);
  });

  it('server streaming: every message arrives in order', async () => {
    const m = await mesh();
    const call = client(m.port).Watch({ text: 'tick', count: 5 }, new grpc.Metadata(), {
      deadline: Date.now() + 5_000,
    });
    const texts: string[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (msg: Msg) => texts.push(msg.text ?? ''));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    expect(texts).toEqual(['tick#0', 'tick#1', 'tick#2', 'tick#3', 'tick#4']);
  });

  it('bidirectional streaming: replies interleave with requests on one stream', async () => {
    const m = await mesh();
    const call = client(m.port).Chat(new grpc.Metadata(), { deadline: Date.now() + 5_000 });
    const replies: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    // each reply comes back before the next message is sent: the stream is really bidirectional
    for (const word of ['one', 'two', 'three']) {
      const next = new Promise<Msg>((resolve) => call.once('data', resolve));
      call.write({ text: word });
      replies.push((await next).text ?? '');
    }
    call.end();
    await ended;
    expect(replies).toEqual(['re: one', 're: two', 're: three']);
  });

  it('GRPCRoute: service/method exact and regex matches pick the backend; unmatched is UNIMPLEMENTED', async () => {
    const m = await mesh((port) => [
      grpcRoute('by-method', 'api', [
        {
          matches: [{ method: { type: 'Exact', service: 'test.Echo', method: 'Echo' } }],
          backendRefs: [backend('v1', port('v1'))],
        },
        {
          matches: [{ method: { type: 'RegularExpression', service: 'test\\.Adm.*' } }],
          backendRefs: [backend('v2', port('v2'))],
        },
        {
          matches: [{ method: { type: 'Exact', method: 'Echo' }, headers: [{ name: 'x-canary', value: 'yes' }] }],
          backendRefs: [backend('v2', port('v2'))],
        },
      ]),
    ]);
    const c = client(m.port);
    expect((await unary(c, 'Echo', { text: 'a' })).reply?.app).toBe('v1');
    expect((await unary(c, 'Ping', { text: 'b' })).reply?.app).toBe('v2');
    const missing = await new Promise<grpc.ServiceError>((resolve) => {
      const call = c.Watch({ count: 1 }, new grpc.Metadata(), { deadline: Date.now() + 5_000 });
      call.on('data', () => undefined);
      call.on('error', resolve);
    });
    expect(missing.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(missing.details).toMatch(/no route matches/);
    expect(m.pods.api!.app.calls).toHaveLength(0);
  });

  it('GRPCRoute weights: per-request balancing over one client connection', async () => {
    const m = await mesh((port) => [
      grpcRoute('split', 'api', [{ backendRefs: [backend('v1', port('v1'), 3), backend('v2', port('v2'), 1)] }]),
    ]);
    const c = client(m.port);
    const served: string[] = [];
    for (let i = 0; i < 40; i++) served.push((await unary(c, 'Echo', { text: String(i) })).reply?.app ?? 'error');
    const v1 = served.filter((s) => s === 'v1').length;
    const v2 = served.filter((s) => s === 'v2').length;
    expect(v1 + v2).toBe(40);
    // smooth weighted round robin: exact over every cycle of 4 requests
    expect(v1).toBe(30);
    expect(v2).toBe(10);
    // one client connection to the proxy carried all of them (grpc-js keeps one subchannel)
    expect(m.pods.v1!.app.calls.length).toBe(30);
    expect(m.pods.v2!.app.calls.length).toBe(10);
  });

  it('UNAVAILABLE when there is no backend to send to', async () => {
    const m = await mesh((port) => [
      grpcRoute('broken', 'api', [
        {
          matches: [{ method: { method: 'Ping' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'nope', port: 1 }],
        },
        { backendRefs: [backend('v1', port('v1'))] },
      ]),
    ]);
    const c = client(m.port);
    const bad = await unary(c, 'Ping', {});
    expect(bad.error?.code).toBe(grpc.status.UNAVAILABLE);
    // no ready endpoint
    const port = await freePort();
    const lonely = service('lonely', port, 'test');
    m.source.set({
      services: [...Object.values(m.svcs), lonely],
      httpRoutes: [],
      grpcRoutes: [],
      endpoints: [endpoints(lonely, [{ port: m.pods.api!.inbound.port, ready: false }])],
    });
    await m.outbound.settled();
    const none = await unary(client(port), 'Echo', {}, 10_000);
    expect(none.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(none.error?.details).toMatch(/endpoint/);
  });

  it('golden metrics classify gRPC calls by grpc-status, on both sides', async () => {
    const m = await mesh();
    const c = client(m.port);
    for (let i = 0; i < 3; i++) expect((await unary(c, 'Echo', { text: 'ok' })).reply?.app).toBe('api');
    const failed = await unary(c, 'Echo', { fail: grpc.status.NOT_FOUND });
    expect(failed.error?.code).toBe(grpc.status.NOT_FOUND);

    const http = new Client();
    cleanup.push(() => http.close());
    const inbound = parsePrometheusText((await http.get(m.pods.api!.inbound.adminPort, '/metrics')).body);
    const base = { direction: 'inbound', deployment: 'api', status_code: '200' };
    expect(total(inbound, 'response_total', { ...base, classification: 'success', grpc_status: '0' })).toBe(3);
    expect(total(inbound, 'response_total', { ...base, classification: 'failure', grpc_status: '5' })).toBe(1);
    expect(total(inbound, 'request_total', { direction: 'inbound', deployment: 'api' })).toBe(4);

    const outbound = parsePrometheusText((await http.get(m.outbound.adminPort, '/metrics')).body);
    const out = { direction: 'outbound', dst_service: 'api', dst_deployment: 'api' };
    expect(total(outbound, 'response_total', { ...out, classification: 'success', grpc_status: '0' })).toBe(3);
    expect(total(outbound, 'response_total', { ...out, classification: 'failure', grpc_status: '5' })).toBe(1);
    expect(total(outbound, 'response_latency_ms_count', out)).toBe(4);
  });

  it('a cancelled call is cancelled at the app too', async () => {
    const m = await mesh();
    const call = client(m.port).Chat(new grpc.Metadata(), { deadline: Date.now() + 5_000 });
    const first = new Promise<Msg>((resolve) => call.once('data', resolve));
    call.on('error', () => undefined);
    call.write({ text: 'x' });
    expect((await first).text).toBe('re: x');
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.cancel();
    expect((await status).code).toBe(grpc.status.CANCELLED);
    const deadline = Date.now() + 5_000;
    while (m.pods.api!.app.cancelled === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(m.pods.api!.app.cancelled).toBe(1);
  });
});
