import { StoreEgressInputs } from '../controlplane/egress/inputs.js';
import { resolve } from 'node:path';
import { startHttpApi, type HttpApi } from '../controlplane/api/http-api.js';
import { createDiscovery } from '../controlplane/discovery/index.js';
import { startControlPlane, type ControlPlane } from '../controlplane/grpc/server.js';
import { StorePolicyInputs } from '../controlplane/policy/inputs.js';
import { HpaController, startRuntime, type LocalRuntime } from '../controlplane/runtime/index.js';
import { LocalStore } from '../controlplane/store/local-store.js';
import { startInboundProxy, startOutboundProxy, type OutboundProxy } from '../proxy/index.js';
import { DEFAULT_POLICY_DEFAULTS } from '../engine/policy/index.js';
import type { DefaultPolicyName, Pod } from '../engine/resources/index.js';
import { MeshMetricsProvider, startCanaryController, type CanaryController } from '../rollouts/index.js';
import { PrometheusMetricsProvider } from '../rollouts/metrics/prometheus-provider.js';
import { kvGatePersistence } from '../rollouts/loadtester/gates.js';
import { startLoadTester, type LoadTester } from '../rollouts/loadtester/server.js';
import { processMetricsRegistry, startMetricsServer, type MetricsServer } from '../rollouts/metrics-server.js';
import { startDashboard, type Dashboard } from '../dashboard/server.js';
import type { AuthorityPaths } from '../controlplane/identity/index.js';
import { failureReason } from './canary-failure.js';
import { requestCanaryAction } from './commands/control.js';
import { controlApi } from './control-api.js';
import { instanceApi } from './instance-api.js';
import { collectMirrorDiffs } from './viz/mirror-diffs.js';
import { createLogger, type Logger } from './logger.js';
import { startMeshIdentity, type MeshIdentity } from './mesh-identity.js';
import { sidecarProcesses } from './sidecar-process.js';
import { weirVersion } from './version.js';

export interface MeshOptions {
  dir: string;
  stateDir?: string;
  apiPort?: number;
  /** address of the API; off loopback it requires `apiToken` */
  apiHost?: string;
  apiToken?: string;
  /** serve the API over TLS with this key and certificate (PEM) */
  apiTls?: { key: string; cert: string };
  serviceHost?: string;
  controller?: boolean;
  logger?: Logger;
  /** cap on terminationGracePeriodSeconds for local processes (demo: a couple of seconds) */
  maxGracePeriodSeconds?: number;
  /** port of the built-in load tester (default: a free port) */
  loadtesterPort?: number;
  /** the identity CA from the user's files (`--trust-anchor`, `--issuer-cert`, `--issuer-key`); default: made in the state directory */
  authorityFiles?: AuthorityPaths;
  /** lifetime of the sidecars' certificates (default 24 h) */
  leafLifetimeMs?: number;
  /**
   * `process` (default): a `weir proxy` process beside each pod, configured and certified by the control plane
   * (mTLS between pods); `in-process`: each pod's inbound proxy inside this process, without identity
   */
  sidecars?: 'process' | 'in-process';
  /** serve the controller's Flagger metrics and process metrics at `/metrics` on this loopback port (0: a free one); none when undefined */
  metricsPort?: number;
  /** serve the dashboard on this loopback port (0: a free one); none when undefined */
  dashboardPort?: number;
  /** the inbound policy of ports no Server selects, unless a namespace or workload annotation says otherwise (default `all-unauthenticated`) */
  defaultInboundPolicy?: DefaultPolicyName;
}

export interface Mesh {
  store: LocalStore;
  runtime: LocalRuntime;
  outbound: OutboundProxy;
  /** the gRPC API (Destination, InboundServerPolicies, Identity) over the same discovery, on a free loopback port */
  controlPlane: ControlPlane;
  /** the identity CA the control plane certifies sidecars with, its tokens and trust anchors */
  identity: MeshIdentity;
  controller?: CanaryController;
  metrics: MeshMetricsProvider;
  api: HttpApi;
  /** the flagger-loadtester compatible gate and load service; gates kept in the state directory */
  loadtester?: LoadTester;
  /** the admin port: `/metrics` (flagger_*, process), `/healthz` */
  metricsServer?: MetricsServer;
  dashboard?: Dashboard;
  close(): Promise<void>;
}

/** a shutdown step longer than this is logged, naming it */
const SLOW_SHUTDOWN_STEP_MS = 2_000;

/**
 * Everything `weir up` runs, in one process: the store watching the folder, discovery feeding the
 * outbound proxy, the runtime starting workloads with an inbound sidecar each, the canary controller,
 * and the local API. Closed in reverse order.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const dir = resolve(options.dir);
  const logger = options.logger ?? createLogger();
  // what to stop, in the reverse order of starting, each by name: a slow step says which it was
  const closers: Array<[string, () => Promise<void>]> = [];
  const close = async (): Promise<void> => {
    for (const [name, c] of closers.reverse()) {
      const started = performance.now();
      try {
        await c();
      } catch (err) {
        logger.warn(`shutdown: ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const ms = performance.now() - started;
      if (ms > SLOW_SHUTDOWN_STEP_MS) logger.warn(`shutdown: stopping the ${name} took ${(ms / 1000).toFixed(1)} s`);
    }
  };
  try {
    const store = await LocalStore.open({
      dir,
      stateDir: options.stateDir,
      watch: true,
      logger: logger.child('store'),
    });
    closers.push(['store', () => store.close()]);

    const discovery = createDiscovery(store);
    closers.push(['discovery', async () => discovery.close()]);
    const outbound = await startOutboundProxy({
      configSource: discovery,
      host: options.serviceHost ?? '127.0.0.1',
      onError: (err) => logger.error(`outbound proxy: ${err.message}`),
    });
    closers.push(['outbound listeners', () => outbound.close()]);
    const identity = await startMeshIdentity({
      stateDir: store.stateDir,
      ...(options.authorityFiles !== undefined ? { files: options.authorityFiles } : {}),
      ...(options.leafLifetimeMs !== undefined ? { leafLifetimeMs: options.leafLifetimeMs } : {}),
    });
    const egressInputs = new StoreEgressInputs(store);
    closers.push(['egress inputs', async () => egressInputs.close()]);
    // each sidecar's port policy, compiled from the store's Servers, AuthorizationPolicies... and the defaults
    const policyInputs = new StorePolicyInputs(store, {
      ...DEFAULT_POLICY_DEFAULTS,
      defaultPolicy: options.defaultInboundPolicy ?? DEFAULT_POLICY_DEFAULTS.defaultPolicy,
    });
    closers.push(['policy inputs', async () => policyInputs.close()]);
    const controlPlane = await startControlPlane({
      configSource: discovery,
      policyInputs,
      certifier: identity.certifier,
      egressInputs,
      host: '127.0.0.1',
      port: 0,
      onOverflow: (rpc, what) => logger.warn(`control plane: ${rpc} ${what}: client too slow, stream closed`),
    });
    closers.push(['control plane', () => controlPlane.close()]);

    const processes =
      (options.sidecars ?? 'process') === 'process'
        ? sidecarProcesses({
            controlPlane: controlPlane.address,
            stateDir: store.stateDir,
            identity,
            serviceHost: options.serviceHost ?? '127.0.0.1',
            // a certificate shorter-lived than the proxy's min refresh (10 s) is renewed at 70 % of its life all the same
            ...(options.leafLifetimeMs !== undefined
              ? { identityMinRefreshMs: Math.max(100, Math.min(10_000, Math.floor(options.leafLifetimeMs / 10))) }
              : {}),
            logger: logger.child('sidecars'),
          })
        : undefined;
    if (processes) closers.push(['sidecar processes', () => processes.close()]);
    const runtime = await startRuntime({
      store,
      dir,
      stateDir: store.stateDir,
      logger: logger.child('runtime'),
      maxGracePeriodSeconds: options.maxGracePeriodSeconds,
      sidecars:
        processes?.factory ??
        (async (pod) => {
          const p = await startInboundProxy({
            appHost: '127.0.0.1',
            appPort: pod.appPort,
            namespace: pod.namespace,
            deployment: pod.deployment,
            pod: pod.name,
          });
          return { inboundPort: p.port, adminPort: p.adminPort, close: () => p.close() };
        }),
    });
    closers.push(['runtime (pods)', () => runtime.close()]);
    // HorizontalPodAutoscalers over the runtime's processes (Kubernetes' 15 s sync period; WEIR_HPA_SYNC_MS)
    const hpaSyncMs = Number(process.env.WEIR_HPA_SYNC_MS);
    const hpa = new HpaController({
      store,
      pods: () => runtime.pods(),
      syncMs: Number.isFinite(hpaSyncMs) && hpaSyncMs >= 100 ? hpaSyncMs : 15_000,
      logger: logger.child('hpa'),
    });
    hpa.start();
    closers.push(['autoscaler', () => hpa.close()]);

    const metrics = new MeshMetricsProvider({
      store,
      // the Service ports' proxy of this process mirrors too: its mirror-diff counters count
      mirrorDiffSources: () => [`http://127.0.0.1:${outbound.adminPort}/metrics`],
    });
    const mirrorDiffs = (q: { namespace?: string; mirror?: string; limit: number }) =>
      collectMirrorDiffs({
        ...q,
        local: [{ name: 'weir-up/outbound', view: (limit) => outbound.mirrorDiffs.view(limit) }],
        pods: store.list<Pod>('Pod', q.namespace),
      });
    closers.push(['metrics', async () => metrics.close()]);
    // MetricTemplates (`prometheus` provider) and inline queries; builtin names stay with the mesh provider
    const prometheus = new PrometheusMetricsProvider({ store });
    closers.push(['prometheus', () => prometheus.close()]);
    let controller: CanaryController | undefined;
    if (options.controller !== false) {
      controller = startCanaryController({
        store,
        metrics: [prometheus, metrics],
        logger: logger.child('controller'),
        // Weir's fast rollback for Canaries annotated weir.io/fast-rollback: "true" (docs/fast-rollback.md)
        fastRollback: {},
      });
      closers.push(['controller', async () => controller!.close()]);
      // Flagger's flagger_info: Weir routes with Gateway API HTTPRoutes
      controller.metrics.setInfo(weirVersion(), 'gatewayapi:v1');
    }
    let metricsServer: MetricsServer | undefined;
    if (options.metricsPort !== undefined) {
      metricsServer = await startMetricsServer({
        registries: [...(controller ? [controller.metrics.registry] : []), processMetricsRegistry()],
        port: options.metricsPort,
      });
      closers.push(['metrics server', () => metricsServer!.close()]);
    }

    const loadtester = await startLoadTester({
      host: options.serviceHost ?? '127.0.0.1',
      port: options.loadtesterPort,
      persistence: kvGatePersistence(store),
      logger: logger.child('loadtester'),
    });
    closers.push(['loadtester', () => loadtester.close()]);

    // Service ports listen before the API URL is announced: scripts may send traffic right after it.
    await outbound.settled();
    const api = await startHttpApi({
      store,
      port: options.apiPort,
      ...(options.apiHost !== undefined ? { host: options.apiHost } : {}),
      ...(options.apiToken !== undefined ? { token: options.apiToken } : {}),
      ...(options.apiTls !== undefined ? { tls: options.apiTls } : {}),
      extensions: [
        instanceApi({
          store,
          logFile: (ns, pod) => runtime.logFile(ns, pod),
          ...(loadtester ? { loadtesterUrl: loadtester.url } : {}),
          mirrorDiffs,
        }),
        ...(controller ? [controlApi({ controller, metrics, store })] : []),
      ],
    });
    closers.push(['API', () => api.close()]);
    let dashboard: Dashboard | undefined;
    if (options.dashboardPort !== undefined) {
      dashboard = await startDashboard({
        store,
        port: options.dashboardPort,
        failureReason,
        mirrorDiffs,
        ...(controller
          ? { act: (ns: string, name: string, action) => requestCanaryAction(store, ns, name, action, new Date()) }
          : {}),
      });
      closers.push(['dashboard', () => dashboard!.close()]);
    }
    return {
      store,
      runtime,
      outbound,
      controlPlane,
      identity,
      controller,
      metrics,
      api,
      loadtester,
      metricsServer,
      dashboard,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
