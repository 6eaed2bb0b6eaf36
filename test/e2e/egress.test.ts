import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startWeirUp, type WeirUp } from '../support/weir-process.js';

/** an app that, for `/call?url=U`, GETs U through its sidecar (HTTP_PROXY) and answers `STATUS BODY` */
const CALLER_APP = `import http from 'node:http';
const proxy = new URL(process.env.HTTP_PROXY);
http.createServer((req, res) => {
  const target = new URL(req.url, 'http://x').searchParams.get('url');
  const r = http.request({ host: proxy.hostname, port: Number(proxy.port), path: target }, (up) => {
    let body = '';
    up.on('data', (d) => (body += d));
    up.on('end', () => res.end(up.statusCode + ' ' + body));
  });
  r.on('error', (e) => res.end('599 ' + String(e)));
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface External {
  server: Server;
  url: string;
}

async function external(host: string, name: string): Promise<External> {
  const server = createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}

function manifests(callerApp: string, port: number, denied: External): string {
  const deniedPort = new URL(denied.url).port;
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: caller, namespace: shop }
spec:
  replicas: 1
  selector: { matchLabels: { app: caller } }
  template:
    metadata: { labels: { app: caller } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: caller
          image: example.com/caller:1
          command: [node]
          args: [${JSON.stringify(callerApp)}]
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: caller, namespace: shop }
spec:
  selector: { app: caller }
  ports: [{ name: http, port: ${port}, targetPort: http }]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: locked, namespace: shop }
spec: { trafficPolicy: Deny, networks: [{ cidr: 127.0.0.2/32 }] }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: open, namespace: shop }
spec: { trafficPolicy: Allow, networks: [{ cidr: 127.0.0.3/32 }] }
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: watched, namespace: shop, annotations: { weir.io/audit: "true" } }
spec: { trafficPolicy: Deny, networks: [{ cidr: 127.0.0.4/32 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: allowed-path, namespace: shop }
spec:
  parentRefs: [{ group: policy.linkerd.io, kind: EgressNetwork, name: locked, port: ${deniedPort} }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /allowed } }] }]
`;
}

describe('egress over weir up: an app calls servers outside the mesh through its sidecar', () => {
  let dir: string;
  let up: WeirUp | undefined;
  let port: number;
  let denied: External;
  let allowed: External;
  let audited: External;

  const call = async (url: string): Promise<string> => {
    const r = await fetch(`http://127.0.0.1:${port}/call?url=${encodeURIComponent(url)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    return r.text();
  };

  beforeAll(async () => {
    denied = await external('127.0.0.2', 'locked-server');
    allowed = await external('127.0.0.3', 'open-server');
    audited = await external('127.0.0.4', 'watched-server');
    dir = await mkdtemp(join(tmpdir(), 'weir-egress-'));
    port = await freePort();
    const app = join(dir, 'caller.mjs');
    await writeFile(app, CALLER_APP);
    await writeFile(join(dir, 'app.yaml'), manifests(app, port, denied));
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')]);
    // the caller is up (through its Service) and its sidecar has the egress policy (it waits for it before ready)
    await eventually('the caller to answer', 90_000, async () => {
      const r = await call(`${allowed.url}/ping`);
      return r.startsWith('200 ') ? r : undefined;
    });
  }, 150_000);

  afterAll(async () => {
    await up?.stop();
    for (const e of [denied, allowed, audited]) e?.server.close();
    await rm(dir, { recursive: true, force: true });
  }, 40_000);

  it('allowed (Allow), denied (Deny: 403), allowed by a route, and audited (forwarded, logged, counted)', async () => {
    expect(await call(`${allowed.url}/a`)).toBe('200 open-server /a');
    expect(await call(`${denied.url}/secret`)).toBe('403 traffic not allowed\n');
    expect(await call(`${denied.url}/allowed/x`)).toBe('200 locked-server /allowed/x');
    expect(await call(`${audited.url}/peek`)).toBe('200 watched-server /peek');

    const pods = (await (await fetch(`${up!.api}/api/v1/namespaces/shop/pods?labelSelector=app%3Dcaller`)).json()) as {
      items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }>;
    };
    const pod = pods.items[0]!;
    const admin = pod.metadata.annotations!['weir.io/proxy-admin']!;
    const metrics = await (await fetch(`http://${admin}/metrics`)).text();
    const parent = (name: string, url: string) =>
      `parent_group="policy.linkerd.io",parent_kind="EgressNetwork",parent_namespace="shop",parent_name="${name}",parent_port="${new URL(url).port}"`;
    expect(metrics).toContain(
      `outbound_http_route_request_statuses_total{${parent('locked', denied.url)},route_kind="default",route_name="http-egress-deny",hostname="127.0.0.2",http_status="403",error=""} 1`,
    );
    expect(metrics).toContain(
      `outbound_http_route_request_statuses_total{${parent('locked', denied.url)},route_group="gateway.networking.k8s.io",route_kind="HTTPRoute",route_namespace="shop",route_name="allowed-path",hostname="127.0.0.2",http_status="200",error=""} 1`,
    );
    expect(metrics).toMatch(
      new RegExp(
        `outbound_http_route_request_statuses_total\\{[^}]*parent_name="open"[^}]*route_name="http-egress-allow"[^}]*http_status="200"`,
      ),
    );
    expect(metrics).toContain(
      `outbound_egress_would_deny_total{${parent('watched', audited.url)},route_kind="default",route_name="http-egress-deny",hostname="127.0.0.4",protocol="http"} 1`,
    );
    const log = await eventually('the audit line in the sidecar log', 10_000, async () => {
      const text = await readFile(join(dir, 'state', 'logs', `shop_${pod.metadata.name}.proxy.log`), 'utf8');
      return text.includes('egress audit') ? text : undefined;
    });
    expect(log).toContain(
      `egress audit: would deny GET ${audited.url}/peek to EgressNetwork shop/watched (route default http-egress-deny)`,
    );
  }, 60_000);

  it('a change of policy applies to the next request (the file weir up watches: open becomes Deny)', async () => {
    const file = join(dir, 'app.yaml');
    const text = await readFile(file, 'utf8');
    const changed = text.replace(
      'metadata: { name: open, namespace: shop }\nspec: { trafficPolicy: Allow',
      'metadata: { name: open, namespace: shop }\nspec: { trafficPolicy: Deny',
    );
    expect(changed).not.toBe(text);
    await writeFile(file, changed);
    const r = await eventually('the open network to deny', 30_000, async () => {
      const x = await call(`${allowed.url}/b`);
      return x.startsWith('403 ') ? x : undefined;
    });
    expect(r).toBe('403 traffic not allowed\n');
  }, 60_000);
});
