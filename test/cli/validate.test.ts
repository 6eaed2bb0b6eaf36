import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWeir } from '../support/weir-process.js';

const goodCanary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service: { port: 9898 }
  analysis: { interval: 30s, threshold: 5, maxWeight: 50, stepWeight: 10 }
`;

describe('weir validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-validate-'));
    await writeFile(join(dir, 'good.yaml'), goodCanary);
    await writeFile(
      join(dir, 'canary.yaml'),
      goodCanary.replace('stepWeight: 10', 'stepWeight: ten') +
        '---\napiVersion: v1\nkind: Nonsense\nmetadata: { name: x }\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 for valid files', async () => {
    const r = await runWeir(['validate', '-f', join(dir, 'good.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 document(s) valid');
  });

  it('exits non-zero with one line per error naming file, document and field path', async () => {
    const r = await runWeir(['validate', '-f', join(dir, 'good.yaml'), '-f', join(dir, 'canary.yaml')]);
    expect(r.code).toBe(1);
    const file = join(dir, 'canary.yaml');
    expect(r.stderr).toContain(`${file}[1] spec.analysis.stepWeight: expected a number, got "ten"`);
    expect(r.stderr).toContain(`${file}[2] kind: unknown kind "Nonsense"`);
  });

  it('reports a missing file by name', async () => {
    const r = await runWeir(['validate', '-f', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.yaml: cannot read: ENOENT');
  });
});
