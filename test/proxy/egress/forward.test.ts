import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from '../../../cli/proxy/forward-proxy.js';
import type { EgressObjects } from '../../../engine/policy/egress.js';
import { decodeResource, parseManifests, type KubeObject } from '../../../engine/resources/index.js';
import { EgressMetrics } from '../../../proxy/egress/metrics.js';
import { fixedEgressSource } from '../../../proxy/egress/source.js';
import type { ListenerInfo } from '../../../proxy/index.js';

const run = promisify(execFile);

/** an HTTP server on `host` answering `NAME PATH` */
async function httpServer(host: string, name: string): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((req, res) => res.end(`${name} ${req.method} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** curl through the forward proxy, as an app with HTTP_PROXY does: `status body` */
async function curl(proxyPort: number, url: string, method = 'GET'): Promise<string> {
  const { stdout } = await run(
    'curl',
    ['-s', '--max-time', '10', '-X', method, '-x', `http://127.0.0.1:${proxyPort}`, '-w', ' %{http_code}', url],
    { timeout: 15_000 },
  );
  const i = stdout.lastIndexOf(' ');
  return `${stdout.slice(i + 1)} ${stdout.slice(0, i)}`;
}

/** CONNECT host:port through the proxy; then `ping` is sent and what comes back read until close (bounded) */
function tunnel(proxyPort: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(proxyPort, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`tunnel to ${target}: no end after 10 s, got ${JSON.stringify(data)}`));
    }, 10_000);
    s.on('connect', () => s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    s.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.startsWith('HTTP/1.1 200') && data.endsWith('\r\n\r\n')) s.end('ping');
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

describe('egress through the sidecar forward proxy: EgressNetworks allow, deny, route and audit', () => {
  let denied: { server: Server; port: number };
  let allowed: { server: Server; port: number };
  let audited: { server: Server; port: number };
  let unmatched: { server: Server; port: number };
  let mirror: { server: Server; port: number };
  let echo: ReturnType<typeof createTcpServer>;
  let echoPort: number;
  let proxy: ForwardProxy;
  const metrics = new EgressMetrics();
  const audits: string[] = [];

  beforeAll(async () => {
    denied = await httpServer('127.0.0.2', 'denied-net');
    allowed = await httpServer('127.0.0.3', 'allowed-net');
    audited = await httpServer('127.0.0.4', 'audited-net');
    unmatched = await httpServer('127.0.0.5', 'no-net');
    mirror = await httpServer('127.0.0.1', 'mirror-service');
    echo = createTcpServer((s) => s.on('data', (d) => s.end(`echo ${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.2', r));
    echoPort = (echo.address() as AddressInfo).port;

    const text = `apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: locked, namespace: shop }
spec: { trafficPolicy: Deny, networks: [{ cidr: 127.0.0.2/32 }] }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: open, namespace: shop }
spec: { trafficPolicy: Allow, networks: [{ cidr: 127.0.0.0/30, except: [127.0.0.0/31] }] }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: watched, namespace: shop, annotations: { weir.io/audit: "true" } }
spec: { trafficPolicy: Deny, networks: [{ cidr: 127.0.0.4/32 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: get-allowed, namespace: shop }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: EgressNetwork, name: locked, port: ${denied.port} }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /allowed }, method: GET }]
    - matches: [{ path: { type: Exact, value: /to-service } }]
      backendRefs: [{ name: mirror, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: echo, namespace: shop }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: EgressNetwork, name: locked, port: ${echoPort} }]
  rules: [{}]
`;
    const parsed = parseManifests(text, 'egress.yaml');
    expect(parsed.errors).toEqual([]);
    const of = <K extends KubeObject>(kind: string) => parsed.objects.filter((o) => o.kind === kind) as K[];
    const objects: EgressObjects = {
      egressNetworks: of('EgressNetwork'),
      httpRoutes: of('HTTPRoute'),
      tcpRoutes: of('TCPRoute'),
      tlsRoutes: [],
    };
    expect(decodeResource(objects.egressNetworks[0]).ok).toBe(true);
    const listeners: ListenerInfo[] = [
      { namespace: 'shop', service: 'mirror', port: 8080, host: '127.0.0.1', listenPort: mirror.port },
    ];
    proxy = await startForwardProxy({
      host: '127.0.0.1',
      port: 0,
      listeners: () => listeners,
      services: () => [],
      namespace: 'shop',
      serviceHost: '127.0.0.1',
      egress: {
        source: fixedEgressSource(objects, 'shop'),
        metrics,
        onAudit: (l) => audits.push(l),
        // the name resolution the app would do (a fixed table: no DNS in tests)
        resolve: async (host) => {
          if (host === 'api.example.test') return '127.0.0.2';
          throw new Error(`${host} not found`);
        },
      },
    });
  });

  afterAll(async () => {
    await proxy?.close();
    for (const s of [denied, allowed, audited, unmatched, mirror]) s?.server.close();
    echo?.close();
  });

  it('Deny: 403 "traffic not allowed" for what no route allows; a route allows GET /allowed on its port', async () => {
    const base = `http://127.0.0.2:${denied.port}`;
    expect(await curl(proxy.port, `${base}/allowed/x?q=1`)).toBe('200 denied-net GET /allowed/x?q=1');
    expect(await curl(proxy.port, `${base}/allowed`, 'POST')).toBe('403 traffic not allowed\n');
    expect(await curl(proxy.port, `${base}/secret`)).toBe('403 traffic not allowed\n');
  });

  it('a name is resolved and its address matched; the metrics name the host asked for', async () => {
    expect(await curl(proxy.port, `http://api.example.test:${denied.port}/allowed`)).toBe(
      '200 denied-net GET /allowed',
    );
    expect(await curl(proxy.port, `http://api.example.test:${denied.port}/other`)).toBe('403 traffic not allowed\n');
    expect(await curl(proxy.port, `http://nowhere.example.test:${denied.port}/`)).toMatch(
      /^502 forward proxy: cannot resolve nowhere\.example\.test/,
    );
    expect(metrics.render()).toMatch(/route_name="get-allowed",hostname="api\.example\.test",http_status="200"/);
  });

  it('a route backend that is a Service sends the request to that Service port', async () => {
    expect(await curl(proxy.port, `http://127.0.0.2:${denied.port}/to-service`)).toBe(
      '200 mirror-service GET /to-service',
    );
  });

  it('Allow (a cidr minus its except) forwards; an address no EgressNetwork holds passes through, uncounted', async () => {
    expect(await curl(proxy.port, `http://127.0.0.3:${allowed.port}/any`)).toBe('200 allowed-net GET /any');
    expect(await curl(proxy.port, `http://127.0.0.5:${unmatched.port}/free`)).toBe('200 no-net GET /free');
  });

  it('audit: a would-be denial is forwarded, logged and counted', async () => {
    expect(await curl(proxy.port, `http://127.0.0.4:${audited.port}/peek`)).toBe('200 audited-net GET /peek');
    expect(audits).toContainEqual(
      `egress audit: would deny GET http://127.0.0.4:${audited.port}/peek to EgressNetwork shop/watched (route default http-egress-deny)`,
    );
  });

  it('CONNECT: a TCPRoute allows its port; otherwise the tunnel is refused with 403 and closed', async () => {
    expect(await tunnel(proxy.port, `127.0.0.2:${echoPort}`)).toBe(
      'HTTP/1.1 200 Connection Established\r\n\r\necho ping',
    );
    const refused = await tunnel(proxy.port, `127.0.0.2:${denied.port}`);
    expect(refused).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(refused).not.toContain('denied-net');
  });

  it('counts as Linkerd: outbound_http_route_request_statuses_total with the EgressNetwork as parent, TCP opens and closes', () => {
    const text = metrics.render();
    const parentLocked = `parent_group="policy.linkerd.io",parent_kind="EgressNetwork",parent_namespace="shop",parent_name="locked",parent_port="${denied.port}"`;
    expect(text).toContain(
      `outbound_http_route_request_statuses_total{${parentLocked},route_group="gateway.networking.k8s.io",route_kind="HTTPRoute",route_namespace="shop",route_name="get-allowed",hostname="127.0.0.2",http_status="200",error=""} 2`,
    );
    expect(text).toContain(
      `outbound_http_route_request_statuses_total{${parentLocked},route_kind="default",route_name="http-egress-deny",hostname="127.0.0.2",http_status="403",error=""} 2`,
    );
    expect(text).toMatch(
      /outbound_http_route_request_statuses_total\{[^}]*parent_name="open"[^}]*route_name="http-egress-allow"[^}]*http_status="200"/,
    );
    expect(text).not.toContain('127.0.0.5');
    expect(text).toMatch(
      /outbound_http_route_request_duration_seconds_count\{[^}]*parent_name="locked"[^}]*route_name="get-allowed"[^}]*\} 2/,
    );
    expect(text).toMatch(
      /outbound_egress_would_deny_total\{[^}]*parent_name="watched"[^}]*route_name="http-egress-deny"[^}]*protocol="http"\} 1/,
    );
    expect(text).toMatch(/outbound_tcp_route_open_total\{[^}]*route_kind="TCPRoute"[^}]*route_name="echo"[^}]*\} 1/);
    expect(text).toMatch(/outbound_tcp_route_close_total\{[^}]*route_name="tcp-egress-deny"[^}]*error="forbidden"\} 1/);
  });
});
