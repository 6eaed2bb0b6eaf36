import { PrometheusMetricsProvider } from '../../rollouts/metrics/prometheus-provider.js';
import { startCanaryController } from '../../rollouts/index.js';
import { processMetricsRegistry, startMetricsServer, type MetricsServer } from '../../rollouts/metrics-server.js';
import { isPort, loadKubeConfig, nextStopSignal, openKubeStore } from '../kube-connection.js';
import { createLogger } from '../logger.js';
import { weirVersion } from '../version.js';

export interface ControllerOptions {
  kubeconfig?: string;
  /** watch and act in this namespace only (default: all) */
  namespace?: string;
  metricsPort?: number;
  metricsHost?: string;
  /** Flagger's `-metrics-server`: the Prometheus of builtin metrics and of templates without an address */
  prometheus?: string;
}

/** Every kind the canary controller reads (rollouts/: targets, router, metric templates, alerts, events). */
export const CONTROLLER_KINDS = [
  'Canary',
  'MetricTemplate',
  'AlertProvider',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'Service',
  'EndpointSlice',
  'Pod',
  'ConfigMap',
  'Secret',
  'HTTPRoute',
  'GRPCRoute',
  'Event',
];

/**
 * `weir controller`: the canary controller alone (the one `weir up` runs) against the cluster a kubeconfig
 * names, through the Kubernetes store: it reads Canaries and their targets from informer caches, acts on
 * Deployments, Services and HTTPRoutes through the API, and reads metrics from Prometheus (Flagger's queries,
 * MetricTemplates). Foreground until SIGINT/SIGTERM.
 */
export async function controllerCommand(opts: ControllerOptions): Promise<number> {
  for (const [flag, v] of [['--metrics-port', opts.metricsPort]] as const) {
    if (!isPort(v)) {
      console.error(`weir controller: ${flag} must be a port number, got ${String(v)}`);
      return 2;
    }
  }
  if (opts.prometheus !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(opts.prometheus);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      console.error(`weir controller: --prometheus must be an http(s) URL, got ${JSON.stringify(opts.prometheus)}`);
      return 2;
    }
  }
  const loaded = loadKubeConfig(opts.kubeconfig);
  if (typeof loaded === 'string') {
    console.error(`weir controller: ${loaded}`);
    return 2;
  }
  const logger = createLogger();
  const stop = nextStopSignal();
  console.log(
    `weir controller: watching ${loaded.server} ${opts.namespace !== undefined ? `namespace ${opts.namespace}` : 'all namespaces'}`,
  );
  const store = await openKubeStore(
    'weir controller',
    {
      kubeConfig: loaded.kubeConfig,
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      kinds: CONTROLLER_KINDS,
      logger: logger.child('store'),
    },
    stop,
  );
  if (!store) return 0;
  const prometheus = new PrometheusMetricsProvider({
    store,
    ...(opts.prometheus !== undefined ? { metricsServer: opts.prometheus } : {}),
  });
  const controller = startCanaryController({ store, metrics: [prometheus], logger: logger.child('controller') });
  controller.metrics.setInfo(weirVersion(), 'gatewayapi:v1');
  let metricsServer: MetricsServer | undefined;
  if (opts.metricsPort !== undefined) {
    metricsServer = await startMetricsServer({
      registries: [controller.metrics.registry, processMetricsRegistry()],
      host: opts.metricsHost ?? '0.0.0.0',
      port: opts.metricsPort,
    });
    console.log(`metrics: ${metricsServer.url}/metrics`);
  }
  if (opts.prometheus !== undefined) console.log(`weir controller: prometheus ${opts.prometheus}`);
  // the last line of the start: everything above is running
  console.log(`weir controller: caches synced, ${store.list('Canary').length} canaries`);

  const sig = await stop;
  console.log(`${sig}: stopping`);
  const hardStop = setTimeout(() => {
    console.error('weir controller: shutdown took too long, exiting');
    process.exit(1);
  }, 30_000);
  hardStop.unref();
  await controller.close();
  await prometheus.close();
  await metricsServer?.close();
  await store.close();
  clearTimeout(hardStop);
  return 0;
}
