import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { grpcRouteSchema, type GRPCRoute, type Service } from '../../engine/resources/index.js';
import { compileRoutingTable, compileServicePortRoutes } from '../../engine/routing/index.js';
import { startOutboundProxy } from '../../proxy/index.js';
import { backend, endpoints, freePort, ManualConfigSource, service, until } from './support/harness.js';
import { grpcClient, startGrpcApp, type GrpcApp, type Msg, type TestClient } from './support/grpc.js';

type GrpcRuleInput = z.input<typeof grpcRouteSchema>['spec']['rules'] extends (infer R)[] | undefined ? R : never;

function grpcRoute(name: string, parent: string, rules: GrpcRuleInput[]): GRPCRoute {
  return grpcRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name, namespace: 'default' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: parent }], rules },
  });
}

/** GRPCRoute filters (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror) over gRPC */
describe('GRPCRoute filters', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  interface Mesh {
    apps: Record<string, GrpcApp>;
    client: TestClient;
  }

  /** Service `api` (the parent), `v1` and `mirror`, one grpc-js app each; the GRPCRoute from `rules` */
  async function mesh(rules: (port: (n: string) => number) => GrpcRuleInput[]): Promise<Mesh> {
    const apps: Record<string, GrpcApp> = {};
    const svcs: Record<string, Service> = {};
    for (const name of ['api', 'v1', 'mirror']) {
      apps[name] = await startGrpcApp(name);
      cleanup.push(() => apps[name]!.close());
      svcs[name] = service(name, await freePort());
    }
    const port = (n: string) => svcs[n]!.spec.ports[0]!.port;
    const source = new ManualConfigSource({
      services: Object.values(svcs),
      httpRoutes: [],
      grpcRoutes: [grpcRoute('api-grpc', 'api', rules(port))],
      endpoints: Object.keys(svcs).map((n) => endpoints(svcs[n]!, [{ port: apps[n]!.port, deployment: n }])),
    });
    const proxy = await startOutboundProxy({ configSource: source });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    const client = grpcClient(port('api'));
    cleanup.push(() => client.close());
    return { apps, client };
  }

  /** a unary Echo with request metadata; the reply, the response headers and the status */
  function echo(
    c: TestClient,
    text: string,
    md: Record<string, string>,
  ): Promise<{ reply?: Msg; error?: grpc.ServiceError; headers?: grpc.Metadata }> {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(md)) metadata.set(k, v);
    return new Promise((resolve) => {
      let headers: grpc.Metadata | undefined;
      const call = c.Echo({ text }, metadata, { deadline: Date.now() + 5_000 }, (err, res) =>
        resolve(err ? { error: err, headers } : { reply: res as Msg, headers }),
      );
      call.on('metadata', (h: grpc.Metadata) => (headers = h));
    });
  }

  it('RequestHeaderModifier and ResponseHeaderModifier, rule and backendRef level', async () => {
    const m = await mesh((port) => [
      {
        matches: [{ method: { service: 'test.Echo', method: 'Echo' } }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { set: [{ name: 'x-tenant', value: 'blue' }], remove: ['x-secret'] },
          },
          { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-route', value: 'api-grpc' }] } },
        ],
        backendRefs: [
          {
            ...backend('v1', port('v1')),
            filters: [
              { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-backend', value: 'v1' }] } },
              { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x-served-by'] } },
            ],
          },
        ],
      },
    ]);
    const r = await echo(m.client, 'hi', { 'x-tenant': 'red', 'x-secret': 's3cr3t', 'x-keep': 'k' });
    expect(r.error).toBeUndefined();
    expect(r.reply).toMatchObject({ app: 'v1', text: 'hi' });
    const seen = r.reply?.metadata ?? {};
    expect(seen['x-tenant']).toBe('blue');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen['x-keep']).toBe('k');
    expect(seen['x-backend']).toBe('v1');
    expect(r.headers?.get('x-route')).toEqual(['api-grpc']);
    expect(r.headers?.get('x-served-by')).toEqual([]);
  });

  it('RequestMirror sends a copy of the call to the mirror backend; the client gets the real reply', async () => {
    const m = await mesh((port) => [
      {
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend('mirror', port('mirror')) } }],
        backendRefs: [backend('v1', port('v1'))],
      },
    ]);
    const r = await echo(m.client, 'copy me', {});
    expect(r.reply).toMatchObject({ app: 'v1', text: 'copy me' });
    await until(() => m.apps.mirror!.calls.length === 1);
    expect(m.apps.mirror!.calls).toEqual(['/test.Echo/Echo']);
    expect(m.apps.v1!.calls).toEqual(['/test.Echo/Echo']);
  });

  it('compiles GRPCRoute filters without "not applied" warnings', () => {
    const svcs = [service('api', 8080), service('v1', 8081), service('mirror', 8082)];
    const route = grpcRoute('api-grpc', 'api', [
      {
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-a', value: '1' }] } },
          { type: 'RequestMirror', requestMirror: { backendRef: backend('mirror', 8082) } },
        ],
        backendRefs: [backend('v1', 8081)],
      },
    ]);
    const inputs = { services: svcs, httpRoutes: [], grpcRoutes: [route] };
    const parent = { namespace: 'default', service: 'api', port: 8080, portName: 'http' };
    const routes = compileServicePortRoutes(compileRoutingTable(parent, inputs), inputs);
    const g = routes.grpc!;
    expect(g.warnings).toEqual([]);
    expect(g.rules[0]!.plain).toBe(false);
    expect(JSON.stringify(g.describe())).toContain('RequestMirror');
  });
});
