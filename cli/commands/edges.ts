import type { Pod } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { formatTable } from '../table.js';
import { edgesOf } from '../viz/edges.js';
import { scrapePods } from '../viz/scrape.js';
import { listPods, parseTarget } from '../viz/workloads.js';

export interface EdgesOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  api?: string;
}

/** Linkerd's check mark for a secured edge */
const SECURED = '√';

/**
 * `weir edges [deploy|pod]`: Linkerd's `viz edges`, the meshed connections between workloads, from every
 * sidecar's outbound metrics (`response_total` by `dst_deployment`/`dst_pod`, `tls`, `server_id`): one
 * row per source and destination with traffic, and whether it is secured by mutual TLS. `-n NS` lists
 * the edges whose source or destination is in NS.
 */
export async function edgesCommand(type: string | undefined, opts: EdgesOptions): Promise<number> {
  const target = parseTarget(type ?? 'deploy', undefined, ['deployment', 'pod']);
  if (typeof target === 'string') {
    console.error(`error: ${target}`);
    return 2;
  }
  if (opts.output !== undefined && opts.output !== 'json' && opts.output !== 'wide') {
    console.error(`error: --output must be one of json, wide (got "${opts.output}")`);
    return 2;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? 'default');
  // sources may be in any namespace: every meshed pod is read
  const pods = await listPods(client, undefined);
  const scrape = await scrapePods(pods);
  const byName = new Map<string, Pod>(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const clientIdOf = (ns: string, pod: string): string | undefined => {
    const p = byName.get(`${ns}/${pod}`);
    if (p === undefined) return undefined;
    const sa = (p.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default';
    return `${sa}.${ns}.serviceaccount.identity.weir.cluster.local`;
  };
  const edges = edgesOf(scrape.samples.values(), target.kind === 'pod' ? 'pod' : 'deployment', clientIdOf).filter(
    (e) => namespace === undefined || e.src_namespace === namespace || e.dst_namespace === namespace,
  );
  if (opts.output === 'json') {
    console.log(JSON.stringify(edges, null, 2));
    return 0;
  }
  if (edges.length === 0) {
    console.error(namespace === undefined ? 'No edges found.' : `No edges found in ${namespace} namespace.`);
    return 0;
  }
  const wide = opts.output === 'wide';
  const rows = [
    ['SRC', 'DST', 'SRC_NS', 'DST_NS', 'SECURED', ...(wide ? ['CLIENT_ID', 'SERVER_ID', 'MSG'] : [])],
    ...edges.map((e) => [
      e.src,
      e.dst,
      e.src_namespace,
      e.dst_namespace,
      e.secured ? SECURED : '-',
      ...(wide ? [e.client_id ?? '-', e.server_id ?? '-', e.no_tls_reason ?? '-'] : []),
    ]),
  ];
  console.log(formatTable(rows));
  return 0;
}
