import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../controlplane/api/kubeconfig.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { parseManifests } from '../../engine/resources/index.js';
import { Client, freePort, startEcho } from '../proxy/support/harness.js';
import { WEIR_BIN } from '../support/weir-process.js';
import { startWeirProxy } from '../support/weir-proxy-process.js';

/** Service test/web (port `port`) routed by an HTTPRoute to web-v1 or web-v2, each an EndpointSlice to an echo server */
function meshYaml(port: number, v1: number, v2: number, to: 'web-v1' | 'web-v2'): string {
  const svc = (name: string, clusterIP?: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec: { ${clusterIP ? `clusterIP: ${clusterIP}, ` : ''}ports: [{ name: http, port: ${port} }] }
---
`;
  const slice = (name: string, target: number) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: test, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1] }]
ports: [{ name: http, port: ${target} }]
---
`;
  return (
    svc('web') +
    svc('web-v1', '127.0.1.1') +
    svc('web-v2', '127.0.1.2') +
    slice('web-v1', v1) +
    slice('web-v2', v2) +
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: test }
spec:
  parentRefs: [{ group: core, kind: Service, name: web, port: ${port} }]
  rules:
    - backendRefs: [{ name: ${to}, port: ${port} }]
`
  );
}

async function applyYaml(store: MemoryStore, yaml: string): Promise<void> {
  const parsed = parseManifests(yaml);
  if (parsed.errors.length > 0) throw new Error(JSON.stringify(parsed.errors));
  for (const o of parsed.objects) await store.apply(o);
}

describe('weir control-plane --kubeconfig', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('serves a weir proxy its Services, EndpointSlices and HTTPRoutes from the API, follows changes, and certifies it after a TokenReview', async () => {
    const [v1, v2] = [await startEcho('v1'), await startEcho('v2')];
    closers.push(async () => {
      await v1.close();
      await v2.close();
    });
    const port = await freePort();
    const backing = new MemoryStore();
    await applyYaml(backing, meshYaml(port, v1.port, v2.port, 'web-v2'));
    // the API server's TokenReview (authentication.k8s.io/v1), as a cluster answers for a projected token
    const reviews: string[] = [];
    const api = await startHttpApi({
      store: backing,
      extensions: [
        {
          mount(app) {
            app.post('/apis/authentication.k8s.io/v1/tokenreviews', (req, res) => {
              const spec = (req.body as { spec?: { token?: string; audiences?: string[] } }).spec ?? {};
              reviews.push(`${spec.token ?? ''} ${(spec.audiences ?? []).join(',')}`);
              const ok = spec.token === 'client-token';
              res.status(201).json({
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenReview',
                spec,
                status: ok
                  ? {
                      authenticated: true,
                      user: { username: 'system:serviceaccount:test:client' },
                      audiences: spec.audiences,
                    }
                  : { authenticated: false },
              });
            });
          },
        },
      ],
    });
    closers.push(() => api.close());
    const dir = await mkdtemp(join(tmpdir(), 'weir-control-plane-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'kubeconfig'), kubeconfigFor(api.url));

    const child: ChildProcess = spawn(
      process.execPath,
      [WEIR_BIN, 'control-plane', '--kubeconfig', join(dir, 'kubeconfig'), '--identity-dir', join(dir, 'identity')],
      { env: { ...process.env, WEIR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    closers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no control plane line in 30 s:\n${out}`)), 30_000);
      const check = () => {
        const m = /^control plane: grpc:\/\/(127\.0\.0\.1:\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else setTimeout(check, 25);
      };
      check();
    });
    expect(out).toContain(`weir control-plane: watching ${api.url} all namespaces`);

    // the sidecar proves its service account with a token the API server reviews, and is certified
    await writeFile(join(dir, 'token'), 'client-token');
    const proxy = await startWeirProxy([
      '--control-plane',
      address,
      '--namespace',
      'test',
      '--pod',
      'client-1',
      '--service-account',
      'client',
      '--identity-token-file',
      join(dir, 'token'),
      '--trust-anchors',
      join(dir, 'identity', 'trust-anchor.crt'),
    ]);
    closers.push(async () => {
      await proxy.stop();
    });
    expect(proxy.stdout()).toMatch(
      /^weir proxy: identity client\.test\.serviceaccount\.identity\.weir\.cluster\.local certified$/m,
    );
    expect(reviews).toContain('client-token identity.weir.io');
    expect(proxy.outbound.get(`test/web:${port}`)).toBe(`127.0.0.1:${port}`);
    const http = new Client();
    closers.push(async () => http.agent.destroy());
    expect((await http.send(port, '/')).headers['x-served-by']).toBe('v2');

    // the route changes on the API server: the proxy follows
    await applyYaml(backing, meshYaml(port, v1.port, v2.port, 'web-v1'));
    await proxy.waitFor('stdout', /config from control plane .* applied/, 20_000);
    const deadline = Date.now() + 20_000;
    let servedBy: unknown;
    while (Date.now() < deadline) {
      servedBy = (await http.send(port, '/')).headers['x-served-by'];
      if (servedBy === 'v1') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(servedBy).toBe('v1');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^SIGTERM: stopping$/m);
  }, 90_000);
});
