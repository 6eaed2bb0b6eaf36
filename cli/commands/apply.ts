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
      const verb = !before
        ? 'created'
        : before.metadata.generation === after.metadata.generation
          ? 'unchanged'
          : 'configured';
      console.log(`${what} ${verb}`);
    } catch (err) {
      failed++;
      console.error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
