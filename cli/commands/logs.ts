import type { Deployment, Pod } from '../../engine/resources/index.js';
import { isPodReady } from '../../engine/resources/index.js';
import { ApiClient, queryString } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';

export interface LogsOptions {
  namespace?: string;
  follow?: boolean;
  tail?: string;
  api?: string;
}

/** kubectl's choice of a Deployment's pod for logs: ready first, then running, then the oldest */
function pickPod(pods: Pod[]): Pod | undefined {
  const rank = (p: Pod) => (isPodReady(p) ? 0 : p.status?.phase === 'Running' ? 1 : 2);
  return [...pods].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  )[0];
}

/** `weir logs POD|deploy/NAME [-f] [--tail N]` */
export async function logsCommand(target: string, opts: LogsOptions): Promise<number> {
  const ns = opts.namespace ?? 'default';
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) {
    console.error(`error: --tail must be a number of lines, got "${opts.tail}"`);
    return 2;
  }
  const slash = target.indexOf('/');
  const kind = slash < 0 ? 'pod' : target.slice(0, slash).toLowerCase();
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (!['pod', 'pods', 'po', 'deploy', 'deployment', 'deployments'].includes(kind) || name === '') {
    console.error(`error: weir logs takes a pod name, pod/NAME or deploy/NAME (got "${target}")`);
    return 2;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  let pod = name;
  if (kind.startsWith('deploy')) {
    const dep = (await client.get('Deployment', ns, name)) as Deployment | undefined;
    if (!dep) {
      console.error(`Error from server (NotFound): deployments.apps "${name}" not found`);
      return 1;
    }
    const selector = Object.entries(dep.spec.selector.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = (await client.list('Pod', ns, { labelSelector: selector })) as Pod[];
    const chosen = pickPod(pods);
    if (!chosen) {
      console.error(`error: deployment ${name} has no pods`);
      return 1;
    }
    if (pods.length > 1) console.error(`Found ${pods.length} pods, using pod/${chosen.metadata.name}`);
    pod = chosen.metadata.name;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const path =
      `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log` +
      queryString({
        follow: opts.follow ? 'true' : undefined,
        tailLines: tail === undefined ? undefined : String(tail),
      });
    const res = await client.send('GET', path, undefined, stop.signal);
    if (!res.ok) {
      const err = await ApiClient.errorOf(res);
      console.error(
        err.status === 404 ? `Error from server (NotFound): pods "${pod}" not found` : `error: ${err.message}`,
      );
      return 1;
    }
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      }
    }
    return 0;
  } catch (err) {
    if (stop.signal.aborted) return 0;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
