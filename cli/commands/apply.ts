import { kinds } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { readManifestFiles } from './validate.js';

/** `weir apply -f FILE...`: validate everything first; apply nothing if any document is invalid. */
export async function applyCommand(files: string[], opts: { api?: string }): Promise<number> {
  const r = await readManifestFiles(files);
  for (const w of r.warnings) console.error(`warning: ${w}`);
  if (r.errors.length > 0) {
    for (const e of r.errors) console.error(e);
    console.error('nothing applied');
    return 1;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  let failed = 0;
  for (const obj of r.objects) {
    const info = kinds[obj.kind]!;
    const what = `${info.plural.replace(/s$/, '').replace(/ie$/, 'y')}${info.group ? '.' + info.group : ''}/${obj.metadata.name}`;
    const before = await client.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    try {
      const after = await client.apply(obj);
      const verb = !before ? 'created' : sameContent(before, after) ? 'unchanged' : 'configured';
      console.log(`${what} ${verb}`);
    } catch (err) {
      failed++;
      console.error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** metadata the server keeps, which an apply does not change by itself */
const SERVER_FIELDS = new Set(['resourceVersion', 'generation', 'uid', 'creationTimestamp', 'managedFields']);

/**
 * Whether an apply changed nothing a user wrote, as kubectl tells `unchanged` from `configured`: the
 * object without its status and server-kept metadata (a ConfigMap's `data` counts, though it has no
 * `spec` and no generation).
 */
function sameContent(before: object, after: object): boolean {
  return canonical(before, true) === canonical(after, true);
}

function canonical(value: unknown, top = false, inMetadata = false): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([k]) => !(top && k === 'status') && !(inMetadata && SERVER_FIELDS.has(k)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, false, top && k === 'metadata')}`).join(',')}}`;
}
