import { Command, CommanderError } from 'commander';
import { addControlCommands } from './commands/canary-actions.js';
import { addLoadtesterCommand } from './commands/loadtester.js';
import type { DeleteOptions } from './commands/delete.js';
import type { GateOptions } from './commands/gate.js';
import type { getCommand as GetCommand } from './commands/get.js';
import type { LogsOptions } from './commands/logs.js';
import type { WaitOptions } from './commands/wait.js';
import { addVizCommands } from './viz/commands.js';
import { weirVersion } from './version.js';

// Each command's module is imported when it runs: a `weir proxy` sidecar starts without loading the rest
// of the CLI (README, "The mesh": start-up time).

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The `weir` command. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('weir')
    .description(
      'Weir: a service mesh and Flagger-compatible progressive delivery, embedded on one machine or on a cluster',
    )
    .version(weirVersion(), '--version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const apiOption = ['--api <url>', 'the Weir API (default: $WEIR_API, else the instance last started here)'] as const;

  program
    .command('up')
    .argument('<dir>', 'folder of manifests')
    .description('run the mesh, the workloads and the canary controller for a folder, in the foreground')
    .option('--api-port <port>', 'port of the local API (default: a free port)', (v) => Number(v))
    .option('--api-host <host>', 'address of the API (default 127.0.0.1; elsewhere a bearer token is required)')
    .option('--state-dir <dir>', 'where status and other state is kept (default: DIR/.weir)')
    .option('--service-host <host>', 'address Service ports listen on', '127.0.0.1')
    .option('--no-controller', 'do not run the canary controller')
    .option('--loadtester-port <port>', 'port of the built-in load tester (default: a free port)', (v) => Number(v))
    .option('--trust-anchor <file>', "the identity CA's trust anchor (PEM; default: made in the state directory)")
    .option('--issuer-cert <file>', 'the identity issuer certificate, signed by the trust anchor (PEM)')
    .option('--issuer-key <file>', "the issuer's ECDSA P-256 private key (PEM)")
    .option(
      '--identity-cert-lifetime <duration>',
      "lifetime of the sidecars' certificates, a Go duration of at least 1s (default 24h; short ones for tests)",
    )
    .option(
      '--sidecars <mode>',
      'process: a weir proxy process per pod with identity and mTLS (default); in-process: inbound proxies in this process',
    )
    .option('--metrics-port <port>', "port of the controller's /metrics on 127.0.0.1 (default: a free port)", (v) =>
      Number(v),
    )
    .option('--dashboard-port <port>', 'port of the dashboard on 127.0.0.1 (default: a free port)', (v) => Number(v))
    .option('--no-dashboard', 'do not serve the dashboard')
    .option(
      '--default-inbound-policy <policy>',
      'inbound policy of ports no Server selects: all-unauthenticated (default), all-authenticated, cluster-authenticated, cluster-unauthenticated, deny, audit',
    )
    .action(
      async (
        dir: string,
        opts: {
          apiPort?: number;
          apiHost?: string;
          stateDir?: string;
          serviceHost: string;
          controller: boolean;
          loadtesterPort?: number;
          trustAnchor?: string;
          issuerCert?: string;
          issuerKey?: string;
          sidecars?: string;
          identityCertLifetime?: string;
          metricsPort?: number;
          dashboardPort?: number;
          dashboard: boolean;
          defaultInboundPolicy?: string;
        },
      ) => {
        const { upCommand } = await import('./commands/up.js');
        code = await upCommand(dir, opts);
      },
    );

  program
    .command('proxy')
    .description(
      'run one sidecar proxy (outbound, inbound in front of an app, admin port) from a mesh file or the control plane',
    )
    .option('--config <file>', 'YAML/JSON manifests to route with: Service, EndpointSlice, HTTPRoute, GRPCRoute')
    .option(
      '--control-plane <host:port>',
      "the control plane's gRPC API to follow instead of a file (weir up prints it)",
    )
    .option('--app-port <port>', 'run the inbound side in front of the app on 127.0.0.1:PORT')
    .option('--inbound-port <port>', 'port of the inbound side (default: a free port)')
    .option('--admin-port <port>', 'port of /metrics, /ready, /live, /config, /shutdown (default: a free port)')
    .option('--outbound-host <host>', 'address Service ports listen on', '127.0.0.1')
    .option('--namespace <ns>', "the proxy's workload: namespace, pod and deployment labels on its metrics")
    .option(
      '--trace-collector <url>',
      'export the spans of sampled requests (W3C traceparent, B3) over OTLP/HTTP to URL',
    )
    .option('--pod <name>')
    .option('--deployment <name>')
    .option('--pod-labels <key=value,...>', "the pod's labels, which source-label route rules select on")
    .option(
      '--lane <namespace/release>',
      'the pod is a canary of a coordinated release: every outbound request carries weir-lane: <namespace/release>',
    )
    .option('--service-account <name>', "the workload's service account, part of its identity", 'default')
    .option(
      '--identity-token-file <file>',
      'prove the workload with this token and get a certificate from the control plane (mTLS); needs --trust-anchors',
    )
    .option('--trust-anchors <file>', 'the PEM roots that certificates are checked against')
    .option(
      '--identity-min-refresh <duration>',
      'renew the certificate no sooner than this (default 10s; weir up lowers it for short --identity-cert-lifetime)',
    )
    .option(
      '--outbound-proxy-port <port>',
      "serve the app's HTTP_PROXY on 127.0.0.1:PORT (0: a free port); Service listeners then take free ports",
    )
    .option('--service-host <host>', 'where weir up listens for Services (mapped by the outbound proxy)', '127.0.0.1')
    .option('--require-identity', 'the inbound side refuses clients that prove no mesh identity (plaintext included)')
    .action(async (opts: import('./commands/proxy.js').ProxyOptions) => {
      const { proxyCommand } = await import('./commands/proxy.js');
      code = await proxyCommand(opts);
    });

  program
    .command('controller')
    .description('run the canary controller alone against a Kubernetes cluster (in place of Flagger)')
    .option(
      '--kubeconfig <file>',
      'the cluster (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)',
    )
    .option('--namespace <ns>', 'watch and act in this namespace only (default: all namespaces)')
    .option('--metrics-port <port>', "serve the controller's /metrics and /healthz on this port (default: none)", (v) =>
      Number(v),
    )
    .option('--metrics-host <host>', 'address of the metrics port', '0.0.0.0')
    .option(
      '--prometheus <url>',
      "Flagger's -metrics-server: the Prometheus of builtin metrics and address-less templates",
    )
    .action(async (opts: import('./commands/controller.js').ControllerOptions) => {
      const { controllerCommand } = await import('./commands/controller.js');
      code = await controllerCommand(opts);
    });

  program
    .command('control-plane')
    .description("serve the sidecars' destination, policy and identity gRPC services from a Kubernetes cluster")
    .option(
      '--kubeconfig <file>',
      'the cluster (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)',
    )
    .option('--namespace <ns>', 'serve this namespace only (default: all namespaces)')
    .option('--grpc-port <port>', 'port of the gRPC API (default: a free port)', (v) => Number(v))
    .option('--grpc-host <host>', 'address of the gRPC API', '127.0.0.1')
    .option('--identity-dir <dir>', 'keep a generated identity CA here (made on the first start)')
    .option('--trust-anchor <file>', "the identity CA's trust anchor (PEM)")
    .option('--issuer-cert <file>', 'the identity issuer certificate, signed by the trust anchor (PEM)')
    .option('--issuer-key <file>', "the issuer's ECDSA P-256 private key (PEM)")
    .option(
      '--identity-cert-lifetime <duration>',
      "lifetime of the sidecars' certificates, a Go duration (default 24h)",
    )
    .option(
      '--default-inbound-policy <policy>',
      'inbound policy of ports no Server selects (default all-unauthenticated)',
    )
    .action(async (opts: import('./commands/control-plane.js').ControlPlaneCommandOptions) => {
      const { controlPlaneCommand } = await import('./commands/control-plane.js');
      code = await controlPlaneCommand(opts);
    });

  program
    .command('apply')
    .description('create or replace every document of the files in the running instance')
    .requiredOption('-f, --filename <file>', 'manifest file or folder (repeatable; - for stdin)', collect, [])
    .option(...apiOption)
    .action(async (opts: { filename: string[]; api?: string }) => {
      const { applyCommand } = await import('./commands/apply.js');
      code = await applyCommand(opts.filename, opts);
    });

  program
    .command('get')
    .argument('<kind>', 'canaries, pods, deployments (deploy), services (svc), httproutes, events, ... or kind.group')
    .argument('[name]')
    .description('print resources of the running instance, as kubectl get')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'list across all namespaces (adds a NAMESPACE column)')
    .option('-l, --selector <selector>', 'label selector: key=value,key2!=value,key3 in (a,b),!key4')
    .option('-o, --output <format>', 'json | yaml | wide | name')
    .option('-w, --watch', 'after the list, print one line per change until interrupted')
    .option(...apiOption)
    .action(async (kind: string, name: string | undefined, opts: Parameters<typeof GetCommand>[2]) => {
      const { getCommand } = await import('./commands/get.js');
      code = await getCommand(kind, name, opts);
    });

  program
    .command('describe')
    .argument('<kind>', 'canary')
    .argument('<name>')
    .description('a Canary for people: spec in brief, status, conditions, the failure reason, events as a timeline')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option(...apiOption)
    .action(async (kind: string, name: string, opts: { namespace?: string; api?: string }) => {
      const { describeCommand } = await import('./commands/describe.js');
      code = await describeCommand(kind, name, opts);
    });

  program
    .command('wait')
    .argument('<kind>', 'canary')
    .argument('<name>')
    .description(
      "block until the Canary's run of the current template is promoted, failed or in a phase: exit 0 met, 1 opposite outcome, 2 timeout",
    )
    .requiredOption('--for <condition>', 'promoted | failed | phase=P')
    .option('--timeout <duration>', 'how long to wait (a Go duration)', '10m')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option(...apiOption)
    .action(async (kind: string, name: string, opts: WaitOptions) => {
      const { waitCommand } = await import('./commands/wait.js');
      code = await waitCommand(kind, name, opts);
    });

  program
    .command('delete')
    .argument('[kind-and-names...]', 'KIND NAME... (canary podinfo)')
    .description('delete objects of the running instance, by KIND NAME... or every document of -f FILE')
    .option('-f, --filename <file>', 'manifest file or folder (repeatable)', collect, [])
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--ignore-not-found', 'an object that does not exist is not an error')
    .option(...apiOption)
    .action(async (args: string[], opts: DeleteOptions) => {
      const { deleteCommand } = await import('./commands/delete.js');
      code = await deleteCommand(args, opts);
    });

  program
    .command('logs')
    .argument('<pod>', 'POD, pod/POD or deploy/NAME')
    .description("print a pod's output (stdout and stderr of every run)")
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-f, --follow', 'keep printing new output until interrupted or the pod is gone')
    .option('--tail <lines>', 'only the last N lines')
    .option(...apiOption)
    .action(async (pod: string, opts: LogsOptions) => {
      const { logsCommand } = await import('./commands/logs.js');
      code = await logsCommand(pod, opts);
    });

  program
    .command('gate')
    .argument('<action>', 'open | close | check')
    .argument('<name>', 'the Canary the gate is for')
    .description("the built-in loadtester's manual gates (confirm-rollout, confirm-promotion... webhooks)")
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--rollback', 'the rollback gate (/rollback/*) instead of the approval gate (/gate/*)')
    .option('--loadtester <url>', "the loadtester (default: $WEIR_LOADTESTER, else the running instance's)")
    .option(...apiOption)
    .action(async (action: string, name: string, opts: GateOptions) => {
      const { gateCommand } = await import('./commands/gate.js');
      code = await gateCommand(action, name, opts);
    });

  program
    .command('validate')
    .description('check manifests; exit non-zero on any error, one line per error naming the file and field path')
    .requiredOption('-f, --filename <file>', 'manifest file or folder (repeatable)', collect, [])
    .action(async (opts: { filename: string[] }) => {
      const { validateCommand } = await import('./commands/validate.js');
      code = await validateCommand(opts.filename);
    });

  program
    .command('install')
    .description('print the manifests that install Weir on a cluster (pipe into kubectl apply -f -)')
    .option('--namespace <ns>', "Weir's namespace", 'weir')
    .option('--image <image>', 'the image of every component (default ghcr.io/weir-dev/weir:VERSION)')
    .option('--crds-only', 'only the CustomResourceDefinitions')
    .option('--skip-crds', 'everything but the CustomResourceDefinitions')
    .option(
      '--controller-only',
      'only what weir controller needs (CRDs, its RBAC and Deployment): the Flagger replacement',
    )
    .action(async (opts: import('./commands/install.js').InstallCommandOptions) => {
      const { installCommand } = await import('./commands/install.js');
      code = await installCommand(opts);
    });

  for (const mode of ['inject', 'uninject'] as const) {
    program
      .command(mode)
      .description(
        mode === 'inject'
          ? 'print the manifests with the weir-proxy sidecar added to their pods (Deployments, StatefulSets, DaemonSets, Pods, Lists)'
          : 'print the manifests with the weir-proxy sidecar removed from their pods',
      )
      .requiredOption('-f, --filename <file>', 'manifest file (repeatable; - for stdin)', collect, [])
      .option('--namespace <ns>', "Weir's namespace (the control plane's address)", 'weir')
      .option('--image <image>', "the sidecar's image (default ghcr.io/weir-dev/weir:VERSION)")
      .option('--trust-anchors <file>', 'PEM of the identity trust anchors (without: sidecars without identity)')
      .action(async (opts: import('./commands/inject.js').InjectCommandOptions) => {
        const { injectCommand } = await import('./commands/inject.js');
        code = await injectCommand(mode, opts);
      });
  }

  program
    .command('injector')
    .description('the admission webhook (HTTPS POST /inject, AdmissionReview v1) that adds the weir-proxy sidecar')
    .requiredOption('--tls-cert <file>', 'serving certificate (PEM)')
    .requiredOption('--tls-key <file>', 'its private key (PEM)')
    .option('--port <port>', 'HTTPS port (0: a free port)', '8443')
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--image <image>', "the sidecar's image (default ghcr.io/weir-dev/weir:VERSION)")
    .option(
      '--control-plane <host:port>',
      "the control plane's gRPC address (default weir-control-plane.$POD_NAMESPACE.svc:8086)",
    )
    .option('--trust-anchors <file>', 'PEM of the identity trust anchors given to the sidecars')
    .option(
      '--kubeconfig <file>',
      'where to read namespace annotations (default: in-cluster, else pod annotations only)',
    )
    .action(async (opts: import('./commands/injector.js').InjectorOptions) => {
      const { injectorCommand } = await import('./commands/injector.js');
      code = await injectorCommand(opts);
    });

  program
    .command('check')
    .description('check, line by line, that Weir can be (--pre) or is installed on a cluster or the embedded API')
    .option('--pre', 'before installing: API reachable, version, permissions, Gateway API CRDs')
    .option('--kubeconfig <file>', 'the kubeconfig (default $KUBECONFIG, else ~/.kube/config)')
    .option('--namespace <ns>', "Weir's namespace", 'weir')
    .action(async (opts: import('./commands/check.js').CheckOptions) => {
      const { checkCommand } = await import('./commands/check.js');
      code = await checkCommand(opts);
    });

  addControlCommands(program, apiOption, (c) => (code = c));
  addLoadtesterCommand(program, (c) => (code = c));
  addVizCommands(program, apiOption, (c) => (code = c));

  program
    .command('version')
    .description('print the version of weir and exit')
    .action(() => {
      console.log(weirVersion());
    });

  program
    .command('demo')
    .description('a canary rollout end to end: v2 promoted step by step, a faulty v3 rolled back')
    .option('--rate <rps>', 'steady load in requests per second', (v) => Number(v), 60)
    .option('--keep-state', 'keep the demo folder and its state afterwards')
    .action(async (opts: { rate: number; keepState?: boolean }) => {
      const { demoCommand } = await import('./commands/demo.js');
      code = await demoCommand(opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    throw err;
  }
  return code;
}
