import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMesh, type Mesh } from '../../cli/mesh.js';
import { silentLogger } from '../../controlplane/store/logger.js';
import { freePort, startEcho, type Echo } from '../proxy/support/harness.js';
import { eventually, runWeir, startWeirUp } from '../support/weir-process.js';
import { startWeirProxy, startWeirProxyUntil, type WeirProxy } from '../support/weir-proxy-process.js';

const SERVER_ID = 'web.test.serviceaccount.identity.weir.cluster.local';
const CLIENT_ID = 'client.test.serviceaccount.identity.weir.cluster.local';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

/** a meshed pod of Service test/web whose sidecar's inbound side listens on `inboundPort` */
function meshedPod(inboundPort: number) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'test',
      labels: { app: 'web' },
      annotations: {
        'weir.dev/inbound-port': String(inboundPort),
        'weir.io/proxy-inbound': `127.0.0.1:${inboundPort}`,
      },
    },
    spec: { serviceAccountName: 'web', containers: [{ name: 'web' }] },
    status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe("weir proxy with an identity from weir up's control plane", () => {
  let dir: string;
  let mesh: Mesh;
  let app: Echo;
  let webPort: number;
  let anchors: string;
  const running: WeirProxy[] = [];

  /** a token file proving `serviceAccount` in namespace test */
  async function tokenFile(serviceAccount: string, token?: string): Promise<string> {
    const file = join(dir, `${serviceAccount}.token`);
    await writeFile(file, token ?? mesh.identity.tokens.issue({ namespace: 'test', serviceAccount }));
    return file;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-proxy-identity-'));
    webPort = await freePort();
    await writeFile(
      join(dir, 'web.yaml'),
      `apiVersion: v1
kind: Service
metadata: { name: web, namespace: test }
spec:
  selector: { app: web }
  ports: [{ name: http, port: ${webPort} }]
`,
    );
    mesh = await startMesh({ dir, controller: false, logger: silentLogger, stateDir: join(dir, 'state') });
    anchors = join(dir, 'trust-anchors.pem');
    await writeFile(anchors, mesh.identity.trustAnchorsPem);
    app = await startEcho('web');
  }, 30_000);

  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await app?.close();
    await mesh?.close();
    await rm(dir, { recursive: true, force: true });
  }, 40_000);

  it('a meshed client reaches an inbound that requires identity over mTLS; plaintext is refused', async () => {
    const cp = mesh.controlPlane.address;
    const server = await startWeirProxy([
      '--control-plane',
      cp,
      '--namespace',
      'test',
      '--pod',
      'web-1',
      '--deployment',
      'web',
      '--service-account',
      'web',
      '--identity-token-file',
      await tokenFile('web'),
      '--trust-anchors',
      anchors,
      '--app-port',
      String(app.port),
      '--require-identity',
    ]);
    running.push(server);
    expect(server.stdout()).toContain(`weir proxy: identity ${SERVER_ID} certified`);
    expect((await get(`http://127.0.0.1:${server.adminPort}/ready`)).status).toBe(200);
    await mesh.store.apply(meshedPod(server.inboundPort!) as never, { ephemeral: true });

    // the client's Service listeners on their own loopback address: weir up's own are on 127.0.0.1
    const client = await startWeirProxy([
      '--control-plane',
      cp,
      '--namespace',
      'test',
      '--pod',
      'client-1',
      '--service-account',
      'client',
      '--identity-token-file',
      await tokenFile('client'),
      '--trust-anchors',
      anchors,
      '--outbound-host',
      '127.0.0.2',
    ]);
    running.push(client);
    expect(client.outbound.get(`test/web:${webPort}`)).toBe(`127.0.0.2:${webPort}`);

    const r = await eventually('a meshed request', 15_000, async () => {
      const res = await get(`http://127.0.0.2:${webPort}/hello`);
      return res.status === 200 ? res : undefined;
    });
    expect(JSON.parse(r.body)).toMatchObject({ app: 'web', url: '/hello' });
    const metrics = (await get(`http://127.0.0.1:${server.adminPort}/metrics`)).body;
    expect(metrics).toMatch(
      new RegExp(`request_total\\{[^}]*direction="inbound"[^}]*tls="true"[^}]*client_id="${CLIENT_ID}"`),
    );
    const clientMetrics = (await get(`http://127.0.0.1:${client.adminPort}/metrics`)).body;
    expect(clientMetrics).toMatch(new RegExp(`tls="true"[^}]*server_id="${SERVER_ID}"`));

    // plaintext straight at the inbound port, and through weir up's own (unmeshed) Service listener
    const direct = await get(`http://127.0.0.1:${server.inboundPort}/hello`);
    expect(direct).toEqual({ status: 403, body: 'client identity required\n' });
    const viaUp = await get(`http://127.0.0.1:${webPort}/hello`);
    expect(viaUp.status).toBe(403);
    expect(app.seen.filter((s) => s.url === '/hello')).toHaveLength(1);
  }, 60_000);

  it('is not ready while its token proves nothing, and says why', async () => {
    // not ready: wait for its admin line instead
    const p = await startWeirProxyUntil(
      [
        '--control-plane',
        mesh.controlPlane.address,
        '--namespace',
        'test',
        '--service-account',
        'web',
        '--identity-token-file',
        await tokenFile('bogus', 'not-a-token'),
        '--trust-anchors',
        anchors,
      ],
      /^weir proxy: admin on /m,
    );
    running.push(p);
    await p.waitFor(
      'stderr',
      /certification of web\.test\.serviceaccount\.identity\.weir\.cluster\.local failed: .*UNAUTHENTICATED/,
    );
    expect((await get(`http://127.0.0.1:${p.adminPort}/ready`)).status).toBe(503);
    expect(p.stdout()).not.toMatch(/ready \(control plane/);
  }, 30_000);

  it('refuses identity flags that do not go together, and authority files that cannot be used, naming them', async () => {
    const cp = mesh.controlPlane.address;
    const noAnchors = await runWeir(['proxy', '--control-plane', cp, '--identity-token-file', join(dir, 'x')]);
    expect(noAnchors.code).toBe(2);
    expect(noAnchors.stderr).toContain('--identity-token-file needs --trust-anchors FILE');
    const badAnchors = await runWeir([
      'proxy',
      '--control-plane',
      cp,
      '--identity-token-file',
      join(dir, 'x'),
      '--trust-anchors',
      join(dir, 'web.yaml'),
    ]);
    expect(badAnchors.code).toBe(2);
    expect(badAnchors.stderr).toContain(
      `--trust-anchors ${join(dir, 'web.yaml')}: identity: the trust anchors hold no PEM certificate`,
    );

    const onlyOne = await runWeir(['up', dir, '--trust-anchor', anchors]);
    expect(onlyOne.code).toBe(2);
    expect(onlyOne.stderr).toContain('--trust-anchor, --issuer-cert and --issuer-key go together');
    const missing = join(dir, 'missing.crt');
    const badFiles = await runWeir([
      'up',
      dir,
      '--state-dir',
      join(dir, 'other-state'),
      '--trust-anchor',
      anchors,
      '--issuer-cert',
      missing,
      '--issuer-key',
      join(dir, 'state', 'identity', 'issuer.key'),
    ]);
    expect(badFiles.code).toBe(2);
    expect(badFiles.stderr).toContain(`weir up: identity: ${missing}: cannot be read (ENOENT)`);
  }, 60_000);

  it("uses the user's trust anchor and issuer instead of making its own", async () => {
    const ca = join(dir, 'state', 'identity');
    const other = join(dir, 'other');
    await mkdir(other, { recursive: true });
    const up = await startWeirUp([
      other,
      '--state-dir',
      join(other, 'state'),
      '--trust-anchor',
      join(ca, 'trust-anchor.crt'),
      '--issuer-cert',
      join(ca, 'issuer.crt'),
      '--issuer-key',
      join(ca, 'issuer.key'),
    ]);
    try {
      await eventually(
        'the control plane line',
        10_000,
        async () => /^control plane: grpc:/m.exec(up.output()) ?? undefined,
      );
      expect(await readdir(join(other, 'state'))).not.toContain('identity');
    } finally {
      expect(await up.stop()).toBe(0);
    }
  }, 60_000);
});
