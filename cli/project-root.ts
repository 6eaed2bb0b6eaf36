import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Weir checkout this code runs from (source via tsx, or dist/), found by its package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'weir') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Weir project folder (package.json named "weir")');
    dir = up;
  }
}
