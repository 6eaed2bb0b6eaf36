import type { Canary, KindInfo, KubeEvent, KubeObject } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { GoldenCache } from '../golden.js';
import { resolveApiUrl } from '../instance-file.js';
import { byEventTime } from '../output/columns/event.js';
import { renderObjects, renderWatched, TablePrinter, type PrintOptions } from '../output/print.js';
import { resourceName } from '../output/object-name.js';
import { followWatch } from '../watch-client.js';
import { checkReadOptions, type ReadOptions } from './read-options.js';

export interface GetOptions extends ReadOptions {
  api?: string;
  watch?: boolean;
}

/** `weir get KIND [NAME] [-n NS | -A] [-l SEL] [-o json|yaml|wide|name] [-w]`, as kubectl get. */
export async function getCommand(kindName: string, name: string | undefined, opts: GetOptions): Promise<number> {
  const read = checkReadOptions(kindName, opts);
  if (typeof read === 'string') {
    console.error(`error: ${read}`);
    return 2;
  }
  if (name !== undefined && opts.allNamespaces) {
    console.error('error: a resource cannot be retrieved by name across all namespaces');
    return 2;
  }
  const { info, namespace } = read;
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const golden = new GoldenCache(client);
  const print: PrintOptions = {
    info,
    ...(read.output ? { output: read.output } : {}),
    allNamespaces: read.allNamespaces,
    ctx: { now: Date.now(), wide: read.output === 'wide', golden: golden.lookup },
  };
  const query = {
    labelSelector: opts.selector,
    ...(name !== undefined ? { fieldSelector: `metadata.name=${name}` } : {}),
  };
  let items: KubeObject[];
  let resourceVersion: string;
  if (name !== undefined) {
    const obj = await client.get(info.kind, namespace ?? '', name);
    if (!obj) {
      console.error(`Error from server (NotFound): ${resourceName(info)} "${name}" not found`);
      return 1;
    }
    items = [obj];
    resourceVersion = obj.metadata.resourceVersion ?? '';
  } else {
    const list = await client.listWithVersion(info.kind, namespace, query);
    items = info.kind === 'Event' ? (list.items as KubeEvent[]).sort(byEventTime) : list.items;
    resourceVersion = list.resourceVersion;
  }
  if (print.ctx.wide && info.kind === 'Canary') await golden.load(items as Canary[]);

  const table = new TablePrinter(print);
  const tableOutput = print.output === undefined || print.output === 'wide';
  if (items.length === 0 && print.output !== 'json' && print.output !== 'yaml') {
    console.error(namespace === undefined ? 'No resources found' : `No resources found in ${namespace} namespace.`);
  } else if (tableOutput) {
    console.log(table.table(items));
  } else if (opts.watch && print.output !== 'name') {
    for (const o of items) console.log(renderWatched(o, print)); // -w -o json|yaml: one object per change
  } else {
    console.log(renderObjects(items, name !== undefined, print));
  }
  if (!opts.watch) return 0;
  return watchAndPrint(client, info, namespace, query, resourceVersion, items, print, table, golden);
}

/** `-w`: one line (or object) per change until SIGINT/SIGTERM; 0 then, 1 if the API goes away */
async function watchAndPrint(
  client: ApiClient,
  info: KindInfo,
  namespace: string | undefined,
  query: { labelSelector?: string; fieldSelector?: string },
  resourceVersion: string,
  initial: KubeObject[],
  print: PrintOptions,
  table: TablePrinter,
  golden: GoldenCache,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // the last line printed per object: a change that shows nothing new prints nothing
  const last = new Map<string, string>();
  const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  const tableOutput = print.output === undefined || print.output === 'wide';
  const render = (o: KubeObject): string => (tableOutput ? table.line(o) : renderWatched(o, print));
  for (const o of initial) last.set(key(o), render(o));
  let chain = Promise.resolve();
  const show = (o: KubeObject): void => {
    chain = chain.then(async () => {
      if (print.ctx.wide && info.kind === 'Canary') await golden.load([o as Canary]);
      print.ctx.now = Date.now();
      const text = render(o);
      if (last.get(key(o)) === text) return;
      last.set(key(o), text);
      console.log(text);
    });
  };
  try {
    await followWatch({
      client,
      info,
      ...(namespace !== undefined ? { namespace } : {}),
      ...query,
      resourceVersion,
      signal: stop.signal,
      onEvent: (_type, o) => show(o),
      onRelist: (items) => items.forEach(show),
    });
    await chain;
    return 0;
  } catch (err) {
    console.error(`error: watching ${resourceName(info)}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
