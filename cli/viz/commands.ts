import type { Command } from 'commander';
import type { DiffsOptions } from '../commands/diffs.js';
import type { EdgesOptions } from '../commands/edges.js';
import type { StatOptions } from '../commands/stat.js';

/** stat's default window (kept here so that registering the command loads nothing else) */
const DEFAULT_STAT_WINDOW = '2s';
import type { TapOptions } from '../commands/tap.js';
import type { TopOptions } from '../commands/top.js';

const STAT_HELP = `
Reads the sidecars themselves, no Prometheus needed: each meshed pod's admin /metrics (its
weir.io/proxy-admin annotation) is scraped twice, --window apart, and every column is what the
counters added in between: SUCCESS the share of responses that are not failures (5xx, or an error of
the proxy), RPS responses per second, LATENCY_P50/P95/P99 histogram_quantile over response_latency_ms,
as Linkerd's queries compute them over a Prometheus window. The window is what makes RPS and a current
success rate possible: cumulative counters alone tell what happened since each sidecar started, which
hides a version that just began to fail. --window 0 shows exactly that (cumulative, no RPS), at once.
deploy, svc and pod rows count the inbound traffic of their pods (svc: the pods its selector picks),
from inside the mesh or not; MESHED is pods with a sidecar / pods; TCP_CONN the inbound connections
open now; -o wide adds TLS, the share of requests that came over mutual TLS. route rows are what the
sidecars routed by each HTTPRoute (outbound route metrics: requests of meshed clients).
`;

/** `weir stat`, `weir edges`, `weir diffs`, `weir tap`, `weir top`: traffic views, read from the sidecars. */
export function addVizCommands(
  program: Command,
  apiOption: readonly [string, string],
  setCode: (code: number) => void,
): void {
  program
    .command('stat')
    .argument('<type>', 'deploy | svc | pod | route, or TYPE/NAME')
    .argument('[name]')
    .description('success rate, RPS, latency percentiles, meshed pods and TLS share, as linkerd viz stat')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace (adds a NAMESPACE column)')
    .option('-o, --output <format>', 'json | wide')
    .option('--window <duration>', 'time between the two scrapes of every sidecar (0: cumulative)', DEFAULT_STAT_WINDOW)
    .option(...apiOption)
    .addHelpText('after', STAT_HELP)
    .action(async (type: string, name: string | undefined, opts: StatOptions) => {
      const { statCommand } = await import('../commands/stat.js');
      setCode(await statCommand(type, name, opts));
    });

  program
    .command('edges')
    .argument('[type]', 'deploy (default) | pod')
    .description('the meshed connections between workloads and whether mTLS secures them, as linkerd viz edges')
    .option('-n, --namespace <ns>', 'edges whose source or destination is in this namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-o, --output <format>', 'json | wide (adds CLIENT_ID SERVER_ID MSG)')
    .option(...apiOption)
    .addHelpText(
      'after',
      "\nFrom every sidecar's outbound response_total since it started (by dst_deployment/dst_pod, tls, server_id):\none row per source and destination with traffic; SECURED √ when every request went over mutual TLS.\n",
    )
    .action(async (type: string | undefined, opts: EdgesOptions) => {
      const { edgesCommand } = await import('../commands/edges.js');
      setCode(await edgesCommand(type, opts));
    });

  const tapFilters = (c: Command): Command =>
    c
      .option('--path <prefix>', 'only requests whose path starts with this')
      .option('--method <method>', 'only requests with this HTTP method')
      .option('--authority <authority>', 'only requests for this :authority / Host')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('-A, --all-namespaces', 'every namespace');

  program
    .command('diffs')
    .argument('[target]', 'canary/NAME or deploy/NAME (default: every mirror of the namespace)')
    .description("the last mirrored requests whose canary answer differed from the primary's (mirror diffing)")
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-o, --output <format>', 'json')
    .option('--limit <n>', 'most differing requests shown, newest first', '20')
    .option(...apiOption)
    .addHelpText(
      'after',
      "\nWith weir.io/mirror-diff on a Canary, the proxies that mirror its traffic compare the canary's answer with the\nprimary's (status, chosen headers, JSON body minus ignored paths); this lists what differed, from every\nmirroring proxy of the instance (GET /weir/v1/mirror-diffs). See docs/mirror-diff.md.\n",
    )
    .action(async (target: string | undefined, opts: DiffsOptions) => {
      const { diffsCommand } = await import('../commands/diffs.js');
      setCode(await diffsCommand(target, opts));
    });

  tapFilters(
    program
      .command('tap')
      .argument('[target]', 'deploy/NAME, pod/NAME, svc/NAME, or deploy (every pod of the namespace)')
      .description('a live stream of the requests and responses of the pods, from their sidecars, as linkerd viz tap'),
  )
    .option('-o, --output <format>', 'json (the events, one a line) | wide (adds resources, namespaces, identities)')
    .option(...apiOption)
    .addHelpText(
      'after',
      "\nEach pod's sidecar streams its events (GET /tap on its admin port, loopback only); the pods of the target\nare tapped at once and listed again every 2 s (new pods join). proxy=in: a request to the pod; proxy=out: one\nit sent to a Service. latency: from the request's headers to the end of the response. Until Ctrl-C (exit 0).\n",
    )
    .action(async (target: string | undefined, opts: TapOptions) => {
      const { tapCommand } = await import('../commands/tap.js');
      setCode(await tapCommand(target, opts));
    });

  tapFilters(
    program
      .command('top')
      .argument('[target]', 'deploy/NAME, pod/NAME, svc/NAME, or deploy (every pod of the namespace, the default)')
      .description('the busiest paths of the pods, live, from their taps, as linkerd viz top'),
  )
    .option('--interval <duration>', 'how often the table is drawn (printed, when not a terminal)', '2s')
    .option(...apiOption)
    .addHelpText(
      'after',
      "\nRequests counted since the command started, by SOURCE (the client's identity SA.NS, or its address when it\nproved none), DESTINATION (pod or Service), METHOD and PATH. On a terminal the table is redrawn in place;\notherwise it is printed whole every --interval when it changed, followed by an empty line.\n",
    )
    .action(async (target: string | undefined, opts: TopOptions) => {
      const { topCommand } = await import('../commands/top.js');
      setCode(await topCommand(target, opts));
    });
}
