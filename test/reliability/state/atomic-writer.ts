/**
 * A child process for the SIGKILL test: writes versions of a few files with `writeFileAtomic` in a
 * loop, forever. Each version is JSON `{ file, version, pad }` (padded to tens of KiB so a write takes
 * several syscalls) and is announced on stdout *before* it is written, so the parent knows every
 * version that may be on disk.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../../controlplane/store/atomic.js';

const dir = process.argv[2] as string;
const run = Number(process.argv[3]);
const files = ['canary-status.json', 'ca.json', 'nested/deep/state.json'];

async function main(): Promise<void> {
  process.stdout.write('ready\n');
  for (let n = 1; ; n++) {
    const version = run * 1_000_000 + n; // unique across runs
    const file = files[n % files.length] as string;
    const body = JSON.stringify({ file, version, pad: 'x'.repeat(20_000 + (n % 7) * 5_000) });
    process.stdout.write(`${file} ${version}\n`);
    await writeFileAtomic(join(dir, file), body);
  }
}

void main();
