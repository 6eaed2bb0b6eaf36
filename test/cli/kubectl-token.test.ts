import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../controlplane/api/kubeconfig.js';
import { selfSignedServingCert } from '../../controlplane/api/serving-cert.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

// what `weir up --api-host ADDR` serves off loopback: HTTPS with a self-signed certificate and a bearer token
describe('kubectl with a bearer token over TLS', () => {
  let api: HttpApi;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-token-'));
    const tls = await selfSignedServingCert('127.0.0.1');
    const store = new MemoryStore();
    await store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test', namespace: '' } });
    api = await startHttpApi({ store, token: 'sesame', tls });
    await writeFile(join(dir, 'ok'), kubeconfigFor(api.url, { token: 'sesame', caCert: tls.cert }));
    await writeFile(join(dir, 'wrong'), kubeconfigFor(api.url, { token: 'guess', caCert: tls.cert }));
  }, 30_000);
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves kubectl with the token, verifying the certificate, and refuses it without the right token', async () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await kubectl(join(dir, 'ok'), ['get', 'namespaces', '-o', 'name']);
    expect(ok).toEqual({ code: 0, out: 'namespace/test' });
    const denied = await kubectl(join(dir, 'wrong'), ['get', 'namespaces']);
    expect(denied.code).not.toBe(0);
    expect(denied.out).toContain('You must be logged in to the server (Unauthorized)');
  });
});
