import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { fanInTaps, tapQuery } from '../viz/tap-client.js';
import { tapLine } from '../viz/tap-line.js';
import { checkTapFlags, currentPods, firstPods, parseTapTarget, type TapFlags } from '../viz/tap-target.js';
import { adminOf } from '../viz/workloads.js';

export interface TapOptions extends TapFlags {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  api?: string;
}

/**
 * `weir tap deploy/NAME [--path P] [--method M] [--authority A]`: Linkerd's `viz tap`, the requests and
 * responses of every pod of the target as their sidecars see them (inbound: to the pod's app; outbound:
 * from it to Services), live, until SIGINT. `-o json`: the events as the sidecars send them, one a line.
 */
export async function tapCommand(target: string | undefined, opts: TapOptions): Promise<number> {
  const t = parseTapTarget(target);
  const usage =
    typeof t === 'string'
      ? t
      : (checkTapFlags(opts) ??
        (opts.output !== undefined && opts.output !== 'json' && opts.output !== 'wide'
          ? `--output must be one of json, wide (got "${opts.output}")`
          : undefined));
  if (usage !== undefined || typeof t === 'string') {
    console.error(`error: ${usage ?? ''}`);
    return 2;
  }
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? 'default');
  const first = await firstPods(client, t, namespace);
  if (typeof first === 'string') {
    console.error(first);
    return 1;
  }
  if (!first.some((p) => adminOf(p) !== undefined)) {
    console.error(`error: no meshed pod to tap (${first.length} pods, none with a sidecar)`);
    return 1;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // a reader that went away (`| head`) ends the tap quietly
  const onPipe = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') stop.abort();
  };
  process.stdout.on('error', onPipe);
  const wide = opts.output === 'wide';
  try {
    await fanInTaps({
      pods: () => currentPods(client, t, namespace),
      query: tapQuery(opts),
      onEvent: (e, stream) => {
        if (stop.signal.aborted) return;
        process.stdout.write(`${opts.output === 'json' ? JSON.stringify(e) : tapLine(e, stream, wide)}\n`);
      },
      onWarning: (m) => console.error(`warning: ${m}`),
      signal: stop.signal,
    });
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onPipe);
  }
}
