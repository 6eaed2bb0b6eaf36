export { startCanaryController, type CanaryController, type CanaryControllerOptions } from './controller.js';
export { EventRecorder, type CanaryEventRecord } from './events.js';
export { ManualClock, systemClock, type Clock, type TimerHandle } from './clock.js';
export { silentLogger, type Logger } from './logger.js';
export type { MetricQuery, MetricsProvider } from './metrics/provider.js';
export { MeshMetricsProvider, type Golden, type MeshMetricsOptions } from './metrics/mesh-provider.js';
export { observeMetrics } from './metrics/observe.js';
export { MetricTemplateProvider, type MetricTemplateProviderOptions } from './metrics/template-provider.js';
export {
  createProvider,
  providerFactories,
  type MetricQueryRunner,
  type ProviderConfig,
  type ProviderFactory,
} from './metrics/providers/index.js';
export type { TargetAdapter } from './targets/target-adapter.js';
export {
  DeploymentTarget,
  deploymentReadiness,
  selectorLabel,
  primaryName,
  apexServiceName,
} from './targets/deployment.js';
export type { Router } from './routers/router.js';
export { GatewayHTTPRouteRouter, toGatewayMatch } from './routers/gateway-httproute.js';
export { GatewayGRPCRouteRouter, toGrpcMatch } from './routers/gateway-grpcroute.js';
export { GatewayRouter } from './routers/gateway-router.js';
export { routedPorts, type RoutedPort } from './routers/routed-ports.js';
export { HttpWebhookRunner, canaryChecksum, type WebhookRunner, type WebhookPayload } from './webhooks.js';
export { ControllerMetrics } from './recorder.js';
