import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runWeir } from '../support/weir-process.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('weir version', () => {
  it('prints the package version and exits 0, as a command and as --version', async () => {
    for (const args of [['version'], ['--version']]) {
      const r = await runWeir(args, { WEIR_API: 'http://127.0.0.1:1' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('exits 2 on an unknown flag', async () => {
    const r = await runWeir(['version', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nope');
  });
});
