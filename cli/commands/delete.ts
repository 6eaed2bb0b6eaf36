import { kindFromUserName } from '../../controlplane/api/kube-paths.js';
import { kinds } from '../../engine/resources/index.js';
import type { KindInfo } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { kindGroupName, resourceName } from '../output/object-name.js';
import { readManifestFiles } from './validate.js';

export interface DeleteOptions {
  filename: string[];
  namespace?: string;
  ignoreNotFound?: boolean;
  api?: string;
}

/** `weir delete KIND NAME... [-n NS]` or `weir delete -f FILE...`, as kubectl delete */
export async function deleteCommand(args: string[], opts: DeleteOptions): Promise<number> {
  const targets: Array<{ info: KindInfo; namespace: string; name: string }> = [];
  const ns = opts.namespace ?? 'default';
  if (opts.filename.length > 0) {
    if (args.length > 0) {
      console.error('error: give either KIND NAME... or -f FILE, not both');
      return 2;
    }
    const r = await readManifestFiles(opts.filename);
    if (r.errors.length > 0) {
      for (const e of r.errors) console.error(e);
      console.error('nothing deleted');
      return 2;
    }
    for (const o of r.objects)
      targets.push({ info: kinds[o.kind]!, namespace: o.metadata.namespace, name: o.metadata.name });
  } else {
    const [kindName, ...names] = args;
    if (kindName === undefined || names.length === 0) {
      console.error('error: give KIND NAME... (weir delete canary podinfo -n test) or -f FILE');
      return 2;
    }
    const info = kindFromUserName(kindName);
    if (!info) {
      console.error(`error: the server doesn't have a resource type "${kindName}"`);
      return 2;
    }
    for (const name of names) targets.push({ info, namespace: ns, name });
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  let code = 0;
  for (const t of targets) {
    if (await client.delete(t.info.kind, t.namespace, t.name)) {
      console.log(`${kindGroupName(t.info)} "${t.name}" deleted`);
    } else if (!opts.ignoreNotFound) {
      console.error(`Error from server (NotFound): ${resourceName(t.info)} "${t.name}" not found`);
      code = 1;
    }
  }
  return code;
}
