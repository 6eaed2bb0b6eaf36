import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { controlPlaneCommand } from '../../cli/commands/control-plane.js';
import { controllerCommand } from '../../cli/commands/controller.js';

describe('weir controller and weir control-plane: bad flags exit 2 naming what is wrong', () => {
  let dir: string;
  let errors: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-kube-flags-'));
    await writeFile(join(dir, 'empty'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = async (f: () => Promise<number>) => {
    errors = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      return await f();
    } finally {
      spy.mockRestore();
    }
  };

  it('a kubeconfig that does not exist, or names no cluster', async () => {
    expect(await run(() => controllerCommand({ kubeconfig: join(dir, 'missing') }))).toBe(2);
    expect(errors.join('\n')).toMatch(/^weir controller: --kubeconfig .*missing: /);
    expect(await run(() => controlPlaneCommand({ kubeconfig: join(dir, 'empty') }))).toBe(2);
    expect(errors.join('\n')).toMatch(/^weir control-plane: --kubeconfig .*empty: no current cluster/);
  });

  it('a --prometheus that is not an http(s) URL, a --metrics-port that is not a port', async () => {
    expect(await run(() => controllerCommand({ prometheus: 'prometheus:9090' }))).toBe(2);
    expect(errors.join('\n')).toContain('--prometheus must be an http(s) URL');
    expect(await run(() => controllerCommand({ metricsPort: 70000 }))).toBe(2);
    expect(errors.join('\n')).toContain('--metrics-port must be a port number');
  });

  it('identity: a partial set of issuer files, or files and --identity-dir together', async () => {
    expect(await run(() => controlPlaneCommand({ trustAnchor: 'a.pem' }))).toBe(2);
    expect(errors.join('\n')).toContain('--trust-anchor, --issuer-cert and --issuer-key go together');
    expect(
      await run(() =>
        controlPlaneCommand({ trustAnchor: 'a', issuerCert: 'b', issuerKey: 'c', identityDir: join(dir, 'id') }),
      ),
    ).toBe(2);
    expect(errors.join('\n')).toContain('exclude each other');
  });
});
