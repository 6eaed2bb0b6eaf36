import { stringify } from 'yaml';
import type { Canary, KubeEvent, KubeObject } from '../../engine/resources/index.js';
import { kindFromUserName } from '../../controlplane/api/kube-paths.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { formatTable } from '../table.js';

export interface GetOptions {
  api?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
}

function age(iso: string | undefined): string {
  if (!iso) return '';
  return iso.replace(/\.\d+Z$/, 'Z');
}

function canaryRow(c: Canary, wide: boolean): string[] {
  const a = c.spec.analysis;
  const s = c.status;
  const row = [
    c.metadata.namespace,
    c.metadata.name,
    s?.phase ?? '',
    String(s?.canaryWeight ?? 0),
    age(s?.lastTransitionTime),
  ];
  if (wide)
    row.push(
      String(c.spec.suspend ?? false),
      String(s?.failedChecks ?? 0),
      a?.interval ?? '',
      String(a?.mirror ?? false),
      String(a?.stepWeight ?? ''),
      (a?.stepWeights ?? []).join(','),
      String(a?.maxWeight ?? ''),
    );
  return row;
}

function printObjects(kind: string, items: KubeObject[], output: string | undefined, single: boolean): void {
  if (output === 'json') {
    console.log(JSON.stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items }, null, 2));
    return;
  }
  if (output === 'yaml') {
    console.log(stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items }).trimEnd());
    return;
  }
  if (output === 'name') {
    for (const o of items) console.log(`${kind.toLowerCase()}/${o.metadata.name}`);
    return;
  }
  const wide = output === 'wide';
  if (kind === 'Canary') {
    const head = ['NAMESPACE', 'NAME', 'STATUS', 'WEIGHT', 'LASTTRANSITIONTIME'];
    if (wide) head.push('SUSPENDED', 'FAILEDCHECKS', 'INTERVAL', 'MIRROR', 'STEPWEIGHT', 'STEPWEIGHTS', 'MAXWEIGHT');
    console.log(formatTable([head, ...items.map((c) => canaryRow(c as Canary, wide))]));
    return;
  }
  if (kind === 'Event') {
    // as `kubectl get events`: oldest first, the object they are about, the message
    const events = (items as KubeEvent[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const rows = events.map((e) => [
      e.metadata.namespace,
      age(e.lastTimestamp ?? e.metadata.creationTimestamp),
      e.type,
      e.reason,
      `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`,
      e.message,
    ]);
    console.log(formatTable([['NAMESPACE', 'LASTTIMESTAMP', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], ...rows]));
    return;
  }
  console.log(
    formatTable([
      ['NAMESPACE', 'NAME', 'CREATED'],
      ...items.map((o) => [o.metadata.namespace, o.metadata.name, age(o.metadata.creationTimestamp)]),
    ]),
  );
}

/** `weir get KIND [NAME] [-n NS | -A] [-o json|yaml|wide|name]` */
export async function getCommand(kindName: string, name: string | undefined, opts: GetOptions): Promise<number> {
  const info = kindFromUserName(kindName);
  if (!info) {
    console.error(`weir: unknown resource type "${kindName}"`);
    return 1;
  }
  if (opts.output && !['json', 'yaml', 'wide', 'name'].includes(opts.output)) {
    console.error(`weir: --output must be one of json, yaml, wide, name (got "${opts.output}")`);
    return 1;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const ns = opts.namespace ?? 'default';
  if (name !== undefined) {
    const obj = await client.get(info.kind, ns, name);
    if (!obj) {
      console.error(`Error from server (NotFound): ${info.plural} "${name}" not found in namespace "${ns}"`);
      return 1;
    }
    printObjects(info.kind, [obj], opts.output, true);
    return 0;
  }
  const items = await client.list(info.kind, opts.allNamespaces || opts.namespace === undefined ? undefined : ns);
  if (items.length === 0 && opts.output !== 'json' && opts.output !== 'yaml') {
    console.error('No resources found');
    return 0;
  }
  printObjects(info.kind, items, opts.output, false);
  return 0;
}
