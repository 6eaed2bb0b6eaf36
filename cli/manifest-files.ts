import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const MANIFEST = /\.(ya?ml|json)$/i;

/** Files as given; a directory means its manifest files (not recursive, as `kubectl apply -f DIR`). */
export async function expandManifestPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      // reported by the reader
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => MANIFEST.test(n) && !n.startsWith('.')).sort();
    out.push(...names.map((n) => join(p, n)));
  }
  return out;
}
