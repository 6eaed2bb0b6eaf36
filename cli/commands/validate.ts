import { readFile } from 'node:fs/promises';
import { formatResourceError, parseManifests, type KubeObject } from '../../engine/resources/index.js';
import { expandManifestPaths } from '../manifest-files.js';

export interface ReadManifestsResult {
  objects: KubeObject[];
  errors: string[];
  warnings: string[];
}

/** Read and validate every document of every file; errors are formatted `file[doc] path: message`. */
export async function readManifestFiles(paths: string[]): Promise<ReadManifestsResult> {
  const out: ReadManifestsResult = { objects: [], errors: [], warnings: [] };
  for (const file of await expandManifestPaths(paths)) {
    let text: string;
    try {
      text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (err) {
      out.errors.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    const r = parseManifests(text, file === '-' ? '<stdin>' : file);
    out.objects.push(...r.objects);
    out.errors.push(...r.errors.map(formatResourceError));
    out.warnings.push(...r.warnings);
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function validateCommand(files: string[]): Promise<number> {
  const r = await readManifestFiles(files);
  for (const w of r.warnings) console.error(`warning: ${w}`);
  for (const e of r.errors) console.error(e);
  if (r.errors.length > 0) {
    console.error(`${r.errors.length} error(s); ${r.objects.length} valid document(s)`);
    return 1;
  }
  console.log(`${r.objects.length} document(s) valid`);
  return 0;
}
