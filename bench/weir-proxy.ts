/**
 * The Weir outbound proxy, standalone, with a static snapshot: Service `bench` on PORT, an HTTPRoute
 * attached to it (GAMMA) that splits 90/10 between Services `a` and `b`, each with one endpoint.
 * Golden metrics are on (they always are); the admin server is on a free port.
 *
 * usage: node weir-proxy.js --port P --a 127.0.0.1:PA --b 127.0.0.1:PB [--weights 90,10] [--app-protocol h2c]
 *        [--pool-connections N] (undici connections per endpoint, default 256)
 * Prints one JSON line `{"ready":true,...}` once the listener is up. SIGTERM/SIGINT close it and exit 0
 * (so `node --cpu-prof` writes its profile); SIGUSR2 prints `process.memoryUsage()`.
 *
 * `--app-protocol h2c` marks the backend Service ports `appProtocol: kubernetes.io/h2c` (the Kubernetes
 * way to say "speak h2c to these endpoints"); it is what the h2c rows of the benchmark use.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { ConfigSource, MeshSnapshot, ServicePortEndpoints } from '../engine/mesh/snapshot.js';
import { httpRouteSchema, serviceSchema, type HTTPRoute, type Service } from '../engine/resources/index.js';
import { startOutboundProxy } from '../proxy/index.js';

const NS = 'bench';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    weights: { type: 'string', default: '90,10' },
    'app-protocol': { type: 'string' },
    'admin-port': { type: 'string', default: '0' },
    'pool-connections': { type: 'string' },
  },
});

/** A port nobody listens on: the backend Services' own `port` (the proxy opens a listener on it too). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function hostPort(flag: string, v: string | undefined): { address: string; port: number } {
  const m = /^([^:]+):(\d+)$/.exec(v ?? '');
  if (m === null) throw new Error(`--${flag} wants host:port, got ${JSON.stringify(v)}`);
  return { address: m[1] as string, port: Number(m[2]) };
}

/**
 * The snapshot: Service `bench` (the listener under test), Services `a` and `b` (the backends, on their
 * own Service ports `aPort`/`bPort`, as a cluster IP would be), one HTTPRoute, and one endpoint each.
 */
function benchSnapshot(o: {
  port: number;
  aPort: number;
  bPort: number;
  a: { address: string; port: number };
  b: { address: string; port: number };
  weights: [number, number];
  appProtocol?: string;
}): MeshSnapshot {
  const svc = (name: string, port: number, appProtocol?: string): Service =>
    serviceSchema.parse({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { ports: [{ name: 'http', port, ...(appProtocol !== undefined ? { appProtocol } : {}) }] },
    });
  const appProtocol = o.appProtocol === 'h2c' ? 'kubernetes.io/h2c' : o.appProtocol;
  const services = [svc('bench', o.port), svc('a', o.aPort, appProtocol), svc('b', o.bPort, appProtocol)];
  const route: HTTPRoute = httpRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'bench-split', namespace: NS },
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'bench', port: o.port }],
      rules: [
        {
          backendRefs: [
            { group: '', kind: 'Service', name: 'a', port: o.aPort, weight: o.weights[0] },
            { group: '', kind: 'Service', name: 'b', port: o.bPort, weight: o.weights[1] },
          ],
        },
      ],
    },
  });
  const eps = (service: string, servicePort: number, ep: { address: string; port: number }): ServicePortEndpoints => ({
    namespace: NS,
    service,
    port: servicePort,
    portName: 'http',
    endpoints: [{ address: ep.address, port: ep.port, ready: true, namespace: NS, deployment: service }],
  });
  return { version: 1, services, httpRoutes: [route], endpoints: [eps('a', o.aPort, o.a), eps('b', o.bPort, o.b)] };
}

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error('--port is required');
  const w = (values.weights ?? '90,10').split(',').map(Number);
  const snapshot = benchSnapshot({
    port,
    aPort: await freePort(),
    bPort: await freePort(),
    a: hostPort('a', values.a),
    b: hostPort('b', values.b),
    weights: [w[0] ?? 90, w[1] ?? 10],
    ...(values['app-protocol'] !== undefined ? { appProtocol: values['app-protocol'] } : {}),
  });
  const source: ConfigSource = { current: () => snapshot, subscribe: () => () => undefined };
  const proxy = await startOutboundProxy({
    configSource: source,
    host: '127.0.0.1',
    namespace: NS,
    deployment: 'bench-client',
    adminPort: Number(values['admin-port']),
    onError: (err) => console.error(`weir-proxy: ${err.message}`),
    ...(values['pool-connections'] !== undefined ? { poolConnections: Number(values['pool-connections']) } : {}),
  });
  await proxy.settled();
  if (!proxy.listeners().some((l) => l.port === port)) throw new Error(`no listener on 127.0.0.1:${port}`);
  console.log(JSON.stringify({ ready: true, port, adminPort: proxy.adminPort, pid: process.pid }));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void proxy.close({ drainMs: 0 }).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // where the memory is: `kill -USR2 PID` prints process.memoryUsage() (bytes) as one JSON line
  process.on('SIGUSR2', () => console.log(JSON.stringify({ memoryUsage: process.memoryUsage() })));
}

main().catch((err: unknown) => {
  console.error(`weir-proxy: ${(err as Error).message}`);
  process.exit(1);
});
