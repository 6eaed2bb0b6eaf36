import { readFile } from 'node:fs/promises';
import { transformManifests } from '../../controlplane/injector/manifests.js';
import { controlPlaneAddress, defaultImage } from '../../controlplane/install/options.js';
import { weirVersion } from '../version.js';

export interface InjectCommandOptions {
  filename: string[];
  namespace?: string;
  image?: string;
  trustAnchors?: string;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `weir inject -f` / `weir uninject -f`: the manifests again, with the sidecar added or removed. */
export async function injectCommand(mode: 'inject' | 'uninject', opts: InjectCommandOptions): Promise<number> {
  const version = weirVersion();
  let trustAnchorsPem: string | undefined;
  if (opts.trustAnchors) {
    try {
      trustAnchorsPem = await readFile(opts.trustAnchors, 'utf8');
    } catch (err) {
      console.error(`--trust-anchors ${opts.trustAnchors}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
      return 1;
    }
  }
  const config = {
    image: opts.image ?? defaultImage(version),
    version,
    controlPlane: controlPlaneAddress(opts.namespace ?? 'weir'),
    ...(trustAnchorsPem !== undefined ? { trustAnchorsPem } : {}),
  };
  const parts: string[] = [];
  let failed = false;
  for (const file of opts.filename) {
    let text: string;
    try {
      text = await readInput(file);
    } catch (err) {
      console.error(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
      failed = true;
      continue;
    }
    const r = transformManifests(text, file === '-' ? '<stdin>' : file, mode, config);
    for (const e of r.errors) console.error(e);
    for (const n of r.notes) console.error(n);
    if (r.errors.length > 0) failed = true;
    if (r.yaml) parts.push(r.yaml);
  }
  if (failed) return 1;
  process.stdout.write(parts.join('---\n'));
  return 0;
}
