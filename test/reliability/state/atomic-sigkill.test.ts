import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isTempFile, removeTempFiles } from '../../../controlplane/store/atomic.js';

const WRITER = join(import.meta.dirname, 'atomic-writer.ts');
export const KILLS = Number(process.env.WEIR_STATE_KILLS ?? 6);

/** start the writer on `dir`, SIGKILL it `delayMs` after it is ready; resolves with the versions it announced */
function writeThenKill(dir: string, run: number, delayMs: number): Promise<Map<string, Set<number>>> {
  return new Promise((resolve, reject) => {
    // one process (no tsx wrapper in between), so SIGKILL hits the writer itself
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(run)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const announced = new Map<string, Set<number>>();
    let out = '';
    let err = '';
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer never got ready: ${err}`));
    }, 30_000);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      const first = out === '';
      out += c.toString();
      if (first && out.startsWith('ready')) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    // 'close': after stdout has been read to its end
    child.on('close', (_code, signal) => {
      clearTimeout(bound);
      if (signal !== 'SIGKILL') return reject(new Error(`writer ended by itself (${signal}): ${err}`));
      for (const line of out.split('\n').slice(1)) {
        const [file, version] = line.split(' ');
        if (file === undefined || version === undefined) continue;
        if (!announced.has(file)) announced.set(file, new Set());
        announced.get(file)!.add(Number(version));
      }
      resolve(announced);
    });
  });
}

describe('the state directory under SIGKILL (controlplane/store/atomic.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`a writer killed ${KILLS} times at seeded random moments never leaves a torn file: each parses and is a version it wrote`, async () => {
    // seeded: the same moments on every run
    const delays = fc.sample(fc.integer({ min: 5, max: 400 }), { numRuns: KILLS, seed: 16 });
    const everWritten = new Map<string, Set<number>>();
    let checked = 0;
    for (const [run, delay] of delays.entries()) {
      const announced = await writeThenKill(dir, run, delay);
      for (const [file, versions] of announced) {
        if (!everWritten.has(file)) everWritten.set(file, new Set());
        for (const v of versions) everWritten.get(file)!.add(v);
      }
      for (const file of everWritten.keys()) {
        const path = join(dir, file);
        if (!existsSync(path)) continue;
        const text = readFileSync(path, 'utf8');
        let parsed: { file: string; version: number };
        try {
          parsed = JSON.parse(text) as { file: string; version: number };
        } catch {
          throw new Error(`${file} is torn after a kill ${delay} ms in (${text.length} bytes)`);
        }
        expect(parsed.file).toBe(file);
        // one of the versions a writer run announced for this file (this run's or an earlier one's)
        expect(everWritten.get(file)!.has(parsed.version), `${file} version ${parsed.version}`).toBe(true);
        checked++;
      }
      // debris of a kill mid-write is only temporary files, which a restart removes
      await removeTempFiles(dir);
      expect(readdirSync(dir, { recursive: true }).filter((n) => isTempFile(String(n)))).toEqual([]);
    }
    expect(checked).toBeGreaterThan(KILLS);
  }, 240_000);
});
