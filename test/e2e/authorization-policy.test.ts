import { credentials, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

// Linkerd's authorization policy over real sidecars: one `weir up --default-inbound-policy deny` with a web
// pod (the sample app), a gRPC pod, and two meshed clients (ServiceAccount `client` in `test`, and the wrong
// identity: ServiceAccount `client` of namespace `elsewhere`), each a caller app behind its own sidecar. Each
// row applies its policy with `weir apply`, waits until the target's sidecar has it in force (its /config),
// then calls as each client and checks the answers and the sidecar's authz counters.

const CLIENT_ID = 'client.test.serviceaccount.identity.weir.cluster.local';
const WRONG_ID = 'client.elsewhere.serviceaccount.identity.weir.cluster.local';

/**
 * The app of the web pod and of the meshed clients: `GET /call?url=U&method=M` sends that request through its
 * own sidecar (WEIR_OUTBOUND) and answers what came back; any other request is answered 200 with its path and
 * the client identity its sidecar proved (`l5d-client-id`).
 */
const MESH_APP = `import http from 'node:http';
const proxy = new URL(process.env.WEIR_OUTBOUND);
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname !== '/call') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ path: url.pathname, clientId: req.headers['l5d-client-id'] ?? null }));
  }
  const q = url.searchParams;
  const r = http.request(
    { host: proxy.hostname, port: Number(proxy.port), path: q.get('url'), method: q.get('method') ?? 'GET', agent: false },
    (up) => {
      let body = '';
      up.on('data', (d) => (body += d));
      up.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: up.statusCode, body, error: up.headers['weir-proxy-error'] ?? null }));
      });
    },
  );
  r.on('error', (e) => { res.writeHead(200); res.end(JSON.stringify({ status: 0, error: String(e) })); });
  r.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** a gRPC server (@grpc/grpc-js from the project): /test.Echo/Say answers `hi <request>` */
const GRPC_APP = `import { createRequire } from 'node:module';
const grpc = createRequire(process.env.WEIR_ROOT + '/package.json')('@grpc/grpc-js');
const id = (b) => b;
const server = new grpc.Server();
server.addService(
  { Say: { path: '/test.Echo/Say', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
  { Say: (call, done) => done(null, Buffer.from('hi ' + call.request.toString())) },
);
server.bindAsync('127.0.0.1:' + process.env.PORT, grpc.ServerCredentials.createInsecure(), () => {});
process.on('SIGTERM', () => process.exit(0));
`;

const ECHO = {
  Say: {
    path: '/test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} as const;

function namespace(name: string, annotations: Record<string, string> = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata: { name: ${name}, annotations: ${JSON.stringify(annotations)} }
`;
}

function caller(ns: string, name: string, port: number, app: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
      # a workload annotation beats its namespace's and the mesh's: the test reaches its callers in plaintext
      annotations: { weir.io/default-inbound-policy: all-unauthenticated }
    spec:
      serviceAccountName: client
      terminationGracePeriodSeconds: 1
      containers:
        - name: caller
          image: example.com/caller:1
          command: [node]
          args: [${JSON.stringify(app)}]
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${port}, targetPort: http }]
`;
}

function manifests(ports: { web: number; client: number; other: number; grpc: number }, dir: string): string {
  return [
    namespace('test'),
    namespace('elsewhere'),
    `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      serviceAccountName: web
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: example.com/web:1
          command: [node]
          args: [${JSON.stringify(join(dir, 'app.mjs'))}]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: test }
spec:
  selector: { app: web }
  ports: [{ name: http, port: ${ports.web}, targetPort: http }]
`,
    `apiVersion: apps/v1
kind: Deployment
metadata: { name: grpc, namespace: test }
spec:
  replicas: 1
  selector: { matchLabels: { app: grpc } }
  template:
    metadata: { labels: { app: grpc } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: grpc
          image: example.com/grpc:1
          command: [node]
          args: [${JSON.stringify(join(dir, 'grpc.mjs'))}]
          env: [{ name: WEIR_ROOT, value: ${JSON.stringify(ROOT)} }]
          ports: [{ name: grpc, containerPort: 50051 }]
---
apiVersion: v1
kind: Service
metadata: { name: grpc, namespace: test }
spec:
  selector: { app: grpc }
  ports: [{ name: grpc, port: ${ports.grpc}, targetPort: grpc }]
`,
    caller('test', 'client', ports.client, join(dir, 'app.mjs')),
    caller('elsewhere', 'other', ports.other, join(dir, 'app.mjs')),
  ].join('---\n');
}

// ---- the policies of the rows -------------------------------------------------------------------

const SERVER_HTTP = `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: web-http, namespace: test }
spec:
  podSelector: { matchLabels: { app: web } }
  port: http
  proxyProtocol: HTTP/1
`;

const EVERYONE = `apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: everyone, namespace: test }
spec:
  networks: [{ cidr: 0.0.0.0/0 }, { cidr: "::/0" }]
`;

function authorization(name: string, server: string, refs: string): string {
  return `apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: ${server} }
  requiredAuthenticationRefs: ${refs}
`;
}

const WEB_OPEN = [SERVER_HTTP, EVERYONE, authorization('web-open', 'web-http', '[{ group: policy.linkerd.io, kind: NetworkAuthentication, name: everyone }]')].join('---\n'); // prettier-ignore

const GRPC_SERVER = `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: grpc-server, namespace: test }
spec:
  podSelector: { matchLabels: { app: grpc } }
  port: grpc
  proxyProtocol: gRPC
`;

const OPAQUE_SERVER = `apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: { name: grpc-opaque, namespace: test }
spec:
  podSelector: { matchLabels: { app: grpc } }
  port: 50051
  proxyProtocol: opaque
`;

/** the guide of the README ("Locking down a namespace", then "opening one route"), its YAML as written */
async function readmeGuide(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('**Locking down a namespace**');
  expect(from).toBeGreaterThan(0);
  const blocks = [...readme.slice(from).matchAll(/```yaml\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!);
  expect(blocks).toHaveLength(2);
  return blocks.join('---\n');
}

// ---- clients and metrics -----------------------------------------------------------------------

interface Answer {
  status: number;
  /** what the app answered (meshed calls) */
  body?: string;
  error?: string | null;
}

interface PolicyJson {
  server: { kind: string; name: string };
  authorizations: Array<{ labels: { name: string } }>;
  routes: Array<{ labels: { name: string }; authorizations: Array<{ labels: { name: string } }> }>;
  rateLimit?: { labels: { name: string } };
}

/** `kind:name` of the Server and every authorization's and route's name, as a row expects them */
function signature(p: PolicyJson): string {
  const authz = new Set([
    ...p.authorizations.map((a) => a.labels.name),
    ...p.routes.flatMap((r) => r.authorizations.map((a) => a.labels.name)),
  ]);
  authz.delete('probe');
  const routes = p.routes.map((r) => r.labels.name).filter((n) => n !== 'probe');
  return [
    `${p.server.kind}:${p.server.name}`,
    ...[...authz].sort().map((a) => `authz:${a}`),
    ...routes.sort().map((r) => `route:${r}`),
    ...(p.rateLimit ? [`ratelimit:${p.rateLimit.labels.name}`] : []),
  ].join(' ');
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return (await r.json()) as T;
}

/** one request on its own connection, from `localAddress` (default 127.0.0.1) */
function plain(port: number, path: string, method = 'GET', localAddress?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent: false, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, error: (res.headers['weir-proxy-error'] as string) ?? null }),
        );
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** the sum of a counter's series that carry every one of `labels` */
function counter(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface PodLike {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

type Client = 'meshed' | 'plaintext' | 'wrong identity';

interface Row {
  name: string;
  /** the namespace `test`'s annotations in this row */
  annotations?: Record<string, string>;
  /** policy objects of the row (the previous row's are deleted first) */
  policy?: string | (() => Promise<string>);
  /** the policy the web (or grpc) sidecar must have in force before the row's checks */
  inForce: string;
  target?: 'web' | 'grpc';
  check: (t: Ctx) => Promise<void>;
}

interface Ctx {
  call(client: Client, path?: string, method?: string): Promise<Answer>;
  metrics(target?: 'web' | 'grpc'): Promise<string>;
  web: { inbound: number; admin: string };
  grpc: { inbound: number; admin: string };
}

/** the default-policy rows: what each client gets, and the counters that say so */
function defaultRow(
  policy: string,
  expected: Record<Client, 200 | 403>,
  annotations: Record<string, string> | undefined = { 'config.linkerd.io/default-inbound-policy': policy },
  label = `default policy ${policy} (namespace annotation)`,
): Row {
  return {
    name: `${label}: meshed ${expected.meshed}, plaintext ${expected.plaintext}, wrong identity ${expected['wrong identity']}`,
    annotations,
    inForce: policy === 'deny' ? 'default:deny' : `default:${policy} authz:${policy}`,
    check: async (t) => {
      const before = await t.metrics();
      const got: Record<string, number> = {};
      for (const c of ['meshed', 'plaintext', 'wrong identity'] as const) got[c] = (await t.call(c, '/version')).status;
      expect(got).toEqual(expected);
      const after = await t.metrics();
      const delta = (name: string, labels: Record<string, string>) =>
        counter(after, name, labels) - counter(before, name, labels);
      const srv = { srv_kind: 'default', srv_name: policy };
      const who: Record<Client, Record<string, string>> = {
        meshed: { client_id: CLIENT_ID },
        plaintext: { tls: 'no_identity' },
        'wrong identity': { client_id: WRONG_ID },
      };
      for (const c of ['meshed', 'plaintext', 'wrong identity'] as const) {
        const allowed = delta('inbound_http_authz_allow_total', { ...srv, authz_name: policy, ...who[c] });
        const denied = delta('inbound_http_authz_deny_total', { ...srv, route_name: 'default', ...who[c] });
        expect({ client: c, allowed, denied }).toEqual({
          client: c,
          allowed: expected[c] === 200 ? 1 : 0,
          denied: expected[c] === 403 ? 1 : 0,
        });
      }
    },
  };
}

const rows: Row[] = [
  defaultRow('deny', { meshed: 403, plaintext: 403, 'wrong identity': 403 }, {}, 'mesh default from --default-inbound-policy deny'), // prettier-ignore
  defaultRow('all-unauthenticated', { meshed: 200, plaintext: 200, 'wrong identity': 200 }),
  defaultRow('all-authenticated', { meshed: 200, plaintext: 403, 'wrong identity': 200 }),
  defaultRow(
    'cluster-authenticated',
    { meshed: 200, plaintext: 403, 'wrong identity': 200 },
    {
      'weir.io/default-inbound-policy': 'cluster-authenticated',
    },
  ),
  defaultRow('cluster-unauthenticated', { meshed: 200, plaintext: 200, 'wrong identity': 200 }),
  defaultRow('deny', { meshed: 403, plaintext: 403, 'wrong identity': 403 }),
  defaultRow('audit', { meshed: 200, plaintext: 200, 'wrong identity': 200 }),
  {
    name: 'a Server with an AuthorizationPolicy naming one ServiceAccount: meshed 200, plaintext 403, wrong identity 403',
    policy: [SERVER_HTTP, authorization('web-from-client', 'web-http', '[{ kind: ServiceAccount, name: client }]')].join('---\n'), // prettier-ignore
    inForce: 'server:web-http authz:web-from-client',
    check: async (t) => {
      const before = await t.metrics();
      const ok = await t.call('meshed', '/version');
      expect(ok.status).toBe(200);
      // the app is told the identity the client proved (Linkerd's l5d-client-id)
      expect(JSON.parse(ok.body!)).toEqual({ path: '/version', clientId: CLIENT_ID });
      const denied = await t.call('plaintext', '/version');
      expect(denied).toEqual({ status: 403, error: expect.stringContaining('unauthorized') as string });
      expect((await t.call('wrong identity', '/version')).status).toBe(403);
      const after = await t.metrics();
      const srv = { srv_group: 'policy.linkerd.io', srv_kind: 'server', srv_name: 'web-http' };
      const allow = { ...srv, route_name: 'default', authz_kind: 'authorizationpolicy', authz_name: 'web-from-client' };
      expect(counter(after, 'inbound_http_authz_allow_total', { ...allow, client_id: CLIENT_ID })).toBe(
        counter(before, 'inbound_http_authz_allow_total', { ...allow, client_id: CLIENT_ID }) + 1,
      );
      expect(counter(after, 'inbound_http_authz_deny_total', srv)).toBe(
        counter(before, 'inbound_http_authz_deny_total', srv) + 2,
      );
    },
  },
  {
    name: 'NetworkAuthentication with an except: 127.0.0.0/8 but 127.0.0.1 lets 127.0.0.2 in, not 127.0.0.1',
    policy: [
      SERVER_HTTP,
      `apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: loopback-but-one, namespace: test }
spec:
  networks: [{ cidr: 127.0.0.0/8, except: [127.0.0.1/32] }]
`,
      authorization('web-from-loopback', 'web-http', '[{ group: policy.linkerd.io, kind: NetworkAuthentication, name: loopback-but-one }]'), // prettier-ignore
    ].join('---\n'),
    inForce: 'server:web-http authz:web-from-loopback',
    check: async (t) => {
      const before = await t.metrics();
      expect((await plain(t.web.inbound, '/version', 'GET', '127.0.0.2')).status).toBe(200);
      expect((await plain(t.web.inbound, '/version', 'GET', '127.0.0.1')).status).toBe(403);
      // a meshed client's sidecar connects from 127.0.0.1 too: its identity does not help
      expect((await t.call('meshed', '/version')).status).toBe(403);
      const after = await t.metrics();
      const allow = { srv_name: 'web-http', authz_name: 'web-from-loopback' };
      expect(counter(after, 'inbound_http_authz_allow_total', allow)).toBe(
        counter(before, 'inbound_http_authz_allow_total', allow) + 1,
      );
      expect(counter(after, 'inbound_http_authz_deny_total', { srv_name: 'web-http' })).toBe(
        counter(before, 'inbound_http_authz_deny_total', { srv_name: 'web-http' }) + 2,
      );
    },
  },
  {
    name: "the README's guide as written: the namespace locked down, then GET /public opened to everyone (route-scoped)",
    policy: readmeGuide,
    inForce: 'server:web-http authz:public-for-all authz:web-from-client route:public route:rest',
    check: async (t) => {
      const before = await t.metrics();
      expect((await t.call('plaintext', '/public')).status).toBe(200);
      expect((await t.call('wrong identity', '/public')).status).toBe(200);
      expect((await t.call('plaintext', '/version')).status).toBe(403);
      expect((await t.call('plaintext', '/public', 'POST')).status).toBe(403);
      expect((await t.call('wrong identity', '/version')).status).toBe(403);
      expect((await t.call('meshed', '/version')).status).toBe(200); // the Server-wide policy holds on every route
      const after = await t.metrics();
      const d = (name: string, labels: Record<string, string>) =>
        counter(after, name, labels) - counter(before, name, labels);
      expect(d('inbound_http_authz_allow_total', { route_name: 'public', authz_name: 'public-for-all' })).toBe(2);
      expect(d('inbound_http_authz_deny_total', { srv_name: 'web-http', route_name: 'rest' })).toBe(3);
      expect(d('inbound_http_authz_allow_total', { route_name: 'rest', authz_name: 'web-from-client' })).toBe(1);
    },
  },
  {
    name: 'an HTTPLocalRateLimitPolicy: past 2 requests per second the answer is 429, counted',
    policy: [
      WEB_OPEN,
      `apiVersion: policy.linkerd.io/v1alpha1
kind: HTTPLocalRateLimitPolicy
metadata: { name: web-limit, namespace: test }
spec:
  targetRef: { group: policy.linkerd.io, kind: Server, name: web-http }
  total: { requestsPerSecond: 2 }
`,
    ].join('---\n'),
    inForce: 'server:web-http authz:web-open ratelimit:web-limit',
    check: async (t) => {
      const before = await t.metrics();
      // a burst at once: sequential requests could refill the bucket on a loaded machine
      const answers = await Promise.all(Array.from({ length: 12 }, () => plain(t.web.inbound, '/version')));
      const statuses = answers.map((a) => a.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(429);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      const after = await t.metrics();
      const limited = { srv_name: 'web-http', ratelimit_name: 'web-limit' };
      expect(
        counter(after, 'inbound_http_local_ratelimit_rejected_total', limited) -
          counter(before, 'inbound_http_local_ratelimit_rejected_total', limited),
      ).toBe(statuses.filter((s) => s === 429).length);
    },
  },
  {
    name: 'gRPC: a call the policy admits is answered',
    target: 'grpc',
    policy: [GRPC_SERVER, EVERYONE, authorization('grpc-open', 'grpc-server', '[{ group: policy.linkerd.io, kind: NetworkAuthentication, name: everyone }]')].join('---\n'), // prettier-ignore
    inForce: 'server:grpc-server authz:grpc-open',
    check: async (t) => {
      expect(await grpcCall(t.grpc.inbound)).toEqual({ code: status.OK, reply: 'hi weir' });
      const text = await t.metrics('grpc');
      expect(counter(text, 'inbound_http_authz_allow_total', { srv_name: 'grpc-server', authz_name: 'grpc-open' })).toBe(1); // prettier-ignore
    },
  },
  {
    name: 'gRPC: a call the policy denies gets PERMISSION_DENIED (@grpc/grpc-js)',
    target: 'grpc',
    policy: [GRPC_SERVER, authorization('grpc-from-client', 'grpc-server', '[{ kind: ServiceAccount, name: client }]')].join('---\n'), // prettier-ignore
    inForce: 'server:grpc-server authz:grpc-from-client',
    check: async (t) => {
      const r = await grpcCall(t.grpc.inbound);
      expect(r.code).toBe(status.PERMISSION_DENIED);
      const text = await t.metrics('grpc');
      expect(counter(text, 'inbound_http_authz_deny_total', { srv_name: 'grpc-server' })).toBe(1);
    },
  },
  {
    name: 'opaque TCP: an admitted connection is forwarded to the app',
    target: 'grpc',
    policy: [OPAQUE_SERVER, EVERYONE, authorization('opaque-open', 'grpc-opaque', '[{ group: policy.linkerd.io, kind: NetworkAuthentication, name: everyone }]')].join('---\n'), // prettier-ignore
    inForce: 'server:grpc-opaque authz:opaque-open',
    check: async (t) => {
      const r = await rawH2(t.grpc.inbound);
      expect(r.bytes).toBeGreaterThan(0); // the app's HTTP/2 SETTINGS came back through
      const text = await t.metrics('grpc');
      expect(counter(text, 'inbound_tcp_authz_allow_total', { srv_name: 'grpc-opaque', authz_name: 'opaque-open' })).toBeGreaterThanOrEqual(1); // prettier-ignore
    },
  },
  {
    name: 'opaque TCP: a denied connection is closed, nothing forwarded',
    target: 'grpc',
    policy: OPAQUE_SERVER,
    inForce: 'server:grpc-opaque',
    check: async (t) => {
      const before = counter(await t.metrics('grpc'), 'inbound_tcp_authz_deny_total', { srv_name: 'grpc-opaque' });
      const r = await rawH2(t.grpc.inbound);
      expect(r).toEqual({ bytes: 0, closed: true });
      const after = counter(await t.metrics('grpc'), 'inbound_tcp_authz_deny_total', { srv_name: 'grpc-opaque' });
      expect(after).toBe(before + 1);
    },
  },
];

function grpcCall(port: number): Promise<{ code: number; reply?: string }> {
  const Client = makeGenericClientConstructor(ECHO, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      ECHO.Say.path,
      ECHO.Say.requestSerialize,
      ECHO.Say.responseDeserialize,
      Buffer.from('weir'),
      { deadline: Date.now() + 15_000 },
      (err: ServiceError | null, reply?: Buffer) => {
        client.close();
        resolve(err ? { code: err.code } : { code: status.OK, reply: reply!.toString() });
      },
    );
  });
}

/** an HTTP/2 client preface on a raw TCP connection: how many bytes came back before it closed (or 2 s passed) */
function rawH2(port: number): Promise<{ bytes: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let bytes = 0;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ bytes, closed });
    };
    // enough for an app's SETTINGS on a loaded machine; a denied connection is closed long before
    const timer = setTimeout(() => done(false), 10_000);
    sock.on('data', (d: Buffer) => {
      bytes += d.length;
      done(false);
    });
    sock.on('close', () => done(true));
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done(true) : reject(err)));
    sock.write(
      Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]),
    );
  });
}

describe('authorization policy over real sidecars (weir up --default-inbound-policy deny)', () => {
  let dir: string;
  let up: WeirUp | undefined;
  const ports = { web: 0, client: 0, other: 0, grpc: 0 };
  let ctx: Ctx;
  /** the previous row's policy objects, deleted before the next row applies its own */
  let previous: string | undefined;

  const podOf = (ns: string, app: string): Promise<PodLike> =>
    eventually(`a ready ${ns}/${app} pod`, 180_000, async () => {
      const list = await getJson<{ items: PodLike[] }>(
        `${up!.api}/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`,
      );
      return list.items.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    });
  const sidecar = (p: PodLike) => ({
    inbound: Number(p.metadata.annotations!['weir.io/proxy-inbound']!.split(':')[1]),
    admin: p.metadata.annotations!['weir.io/proxy-admin']!,
  });
  const inForce = async (target: 'web' | 'grpc'): Promise<PolicyJson> =>
    (await getJson<{ inboundPolicy: PolicyJson }>(`http://${ctx[target].admin}/config`)).inboundPolicy;
  const apply = async (yaml: string, file: string): Promise<void> => {
    await writeFile(join(dir, file), yaml);
    const r = await runWeir(['apply', '-f', join(dir, file), '--api', up!.api]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-authz-'));
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    await writeFile(join(dir, 'app.mjs'), MESH_APP);
    await writeFile(join(dir, 'grpc.mjs'), GRPC_APP);
    const folder = join(dir, 'folder');
    await mkdir(folder);
    await writeFile(join(folder, 'app.yaml'), manifests(ports, dir));
    up = await startWeirUp([folder, '--state-dir', join(dir, 'state'), '--default-inbound-policy', 'deny'], {}, 60_000);
    // under a mesh-wide deny every pod still becomes ready
    const [web, grpc] = await Promise.all([podOf('test', 'web'), podOf('test', 'grpc')]).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- weir up said:\n${up!.output().slice(-4000)}`);
    });
    await Promise.all([podOf('test', 'client'), podOf('elsewhere', 'other')]);
    ctx = {
      web: sidecar(web),
      grpc: sidecar(grpc),
      metrics: async (target = 'web') => {
        const r = await fetch(`http://${ctx[target].admin}/metrics`, { signal: AbortSignal.timeout(10_000) });
        return r.text();
      },
      call: async (client, path = '/version', method = 'GET') => {
        if (client === 'plaintext') return plain(ports.web, path, method);
        const port = client === 'meshed' ? ports.client : ports.other;
        const url = encodeURIComponent(`http://web.test:${ports.web}${path}`);
        const r = await getJson<Answer>(`http://127.0.0.1:${port}/call?url=${url}&method=${method}`);
        expect(r.status, `${client} ${method} ${path}: ${JSON.stringify(r)}`).toBeGreaterThan(0);
        return r;
      },
    };
    // the meshed callers reach web through their sidecars once discovery has it
    await eventually('the meshed callers to reach web', 60_000, async () =>
      (await ctx.call('meshed')).status === 403 && (await ctx.call('wrong identity')).status === 403 ? true : undefined,
    );
  }, 360_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('the probe rule: under deny, GET on the readiness probe path through the sidecar passes as default:probe', async () => {
    const probe = { srv_name: 'deny', authz_name: 'probe' };
    const before = counter(await ctx.metrics(), 'inbound_http_authz_allow_total', probe);
    expect((await plain(ctx.web.inbound, '/readyz')).status).toBe(200);
    expect((await plain(ctx.web.inbound, '/readyz', 'POST')).status).toBe(403); // only GET on the probe path
    expect(counter(await ctx.metrics(), 'inbound_http_authz_allow_total', probe)).toBe(before + 1);
  });

  for (const row of rows) {
    it(
      row.name,
      async () => {
        if (previous !== undefined) {
          await writeFile(join(dir, 'previous.yaml'), previous);
          const r = await runWeir(['delete', '-f', join(dir, 'previous.yaml'), '--ignore-not-found', '--api', up!.api]);
          expect(r.code, r.stderr).toBe(0);
        }
        const policy = typeof row.policy === 'function' ? await row.policy() : row.policy;
        await apply([namespace('test', row.annotations ?? {}), ...(policy ? [policy] : [])].join('---\n'), 'row.yaml');
        // the guide brings its own Namespace (last applied wins); the next row puts `test` back as it says
        previous = policy
          ?.split(/^---$/m)
          .filter((doc) => !/^kind: Namespace$/m.test(doc))
          .join('---\n');
        await eventually(`${row.inForce} in force`, 30_000, async () =>
          signature(await inForce(row.target ?? 'web')) === row.inForce ? true : undefined,
        );
        await row.check(ctx);
      },
      90_000,
    );
  }

  it('a policy applied while a keep-alive connection is open: its next request obeys the new policy', async () => {
    await apply([namespace('test'), WEB_OPEN].join('---\n'), 'open.yaml');
    await eventually('web-open in force', 30_000, async () =>
      signature(await inForce('web')) === 'server:web-http authz:web-open' ? true : undefined,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const onAgent = (): Promise<{ status: number; port: number | undefined; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: ctx.web.inbound, path: '/version', agent }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, port: req.socket?.localPort, reused: req.reusedSocket }),
          );
        });
        req.setTimeout(15_000, () => req.destroy(new Error('no answer in 15 s')));
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await onAgent();
      expect(first.status).toBe(200);
      // lock it: the Server stays, its AuthorizationPolicy goes (accessPolicy deny)
      await writeFile(join(dir, 'open-authz.yaml'), authorization('web-open', 'web-http', '[]'));
      const del = await runWeir(['delete', '-f', join(dir, 'open-authz.yaml'), '--api', up!.api]);
      expect(del.code, del.stderr).toBe(0);
      await eventually('the Server alone in force', 30_000, async () =>
        signature(await inForce('web')) === 'server:web-http' ? true : undefined,
      );
      const next = await onAgent();
      expect(next).toEqual({ status: 403, port: first.port, reused: true });
    } finally {
      agent.destroy();
    }
  }, 90_000);

  it('an invalid policy from weir apply is refused with file and field path; the policy in force stays', async () => {
    const bad = join(dir, 'bad-policy.yaml');
    await writeFile(
      bad,
      `apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: { name: everyone, namespace: test }
spec:
  networks: [{ cidr: 10.0.0.0/33 }]
---
${namespace('test', { 'config.linkerd.io/default-inbound-policy': 'closed' })}`,
    );
    const r = await runWeir(['apply', '-f', bad, '--api', up!.api]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bad-policy.yaml');
    expect(r.stderr).toContain('bad-policy.yaml[1] spec.networks[0].cidr');
    expect(r.stderr).toContain('bad-policy.yaml[2] metadata.annotations.config.linkerd.io/default-inbound-policy');
    expect(signature(await inForce('web'))).toBe('server:web-http');
    expect((await plain(ctx.web.inbound, '/version')).status).toBe(403);
  }, 60_000);

  it('a policy file of the folder that turns invalid is rejected with file and field path; its last good policy stays', async () => {
    const file = join(dir, 'folder', 'policy.yaml');
    await writeFile(file, WEB_OPEN);
    await eventually('the folder policy in force', 30_000, async () =>
      signature(await inForce('web')) === 'server:web-http authz:web-open' ? true : undefined,
    );
    await writeFile(file, WEB_OPEN.replace('proxyProtocol: HTTP/1', 'proxyProtocol: HTTP/3'));
    await eventually('the rejection to be reported', 30_000, async () =>
      /policy\.yaml\S*\s+spec\.proxyProtocol/.test(up!.output()) ? true : undefined,
    );
    expect(signature(await inForce('web'))).toBe('server:web-http authz:web-open');
    expect((await plain(ctx.web.inbound, '/version')).status).toBe(200);
  }, 60_000);
});

describe('weir up --default-inbound-policy', () => {
  it('refuses a value that is not a Linkerd default policy, naming the flag (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-authz-flag-'));
    try {
      const r = await runWeir(['up', dir, '--default-inbound-policy', 'closed']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--default-inbound-policy');
      expect(r.stderr).toContain('all-unauthenticated');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
