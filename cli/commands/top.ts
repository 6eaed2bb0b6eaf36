import { parseDurationMs } from '../../engine/resources/meta.js';
import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { fanInTaps, tapQuery } from '../viz/tap-client.js';
import { checkTapFlags, currentPods, firstPods, parseTapTarget, type TapFlags } from '../viz/tap-target.js';
import { TopTable } from '../viz/top-table.js';
import { adminOf, podKey } from '../viz/workloads.js';

export interface TopOptions extends TapFlags {
  namespace?: string;
  allNamespaces?: boolean;
  interval?: string;
  api?: string;
}

/**
 * `weir top [deploy/NAME]`: Linkerd's `viz top`, the busiest paths of the target's pods (every pod of the
 * namespace without one), from their taps, live. On a terminal the table is redrawn in place every
 * `--interval`; otherwise the whole table is printed every `--interval` when it changed, followed by an
 * empty line. Until SIGINT.
 */
export async function topCommand(target: string | undefined, opts: TopOptions): Promise<number> {
  const t = parseTapTarget(target);
  const intervalMs = parseDurationMs(opts.interval ?? '2s');
  const usage =
    typeof t === 'string'
      ? t
      : (checkTapFlags(opts) ??
        (intervalMs === undefined || intervalMs < 100
          ? `--interval must be a duration of at least 100ms (got "${opts.interval}")`
          : undefined));
  if (usage !== undefined || typeof t === 'string' || intervalMs === undefined) {
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
  let tapped = new Set(first.map(podKey));
  const table = new TopTable((ns, pod) => tapped.has(`${ns}/${pod}`));
  const tty = process.stdout.isTTY === true;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onPipe = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') stop.abort();
  };
  process.stdout.on('error', onPipe);
  let printed = -1;
  const draw = (): void => {
    if (tty) {
      const limit = Math.max((process.stdout.rows ?? 24) - 3, 1);
      process.stdout.write(`\x1b[H\x1b[2J${table.total === 0 ? '(waiting for requests)' : table.render(limit)}\n`);
    } else if (table.total !== printed && table.total > 0) {
      process.stdout.write(`${table.render()}\n\n`);
    }
    printed = table.total;
  };
  const timer = setInterval(draw, intervalMs);
  try {
    await fanInTaps({
      pods: async () => {
        const pods = await currentPods(client, t, namespace);
        tapped = new Set(pods.map(podKey));
        return pods;
      },
      query: tapQuery(opts),
      onEvent: (e) => table.add(e),
      onWarning: (m) => console.error(`warning: ${m}`),
      signal: stop.signal,
    });
    return 0;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onPipe);
  }
}
