export { startOutboundProxy, type OutboundProxy, type OutboundProxyOptions, type ListenerInfo } from './outbound.js';
export { startInboundProxy, type InboundProxy, type InboundProxyOptions } from './inbound.js';
export { GoldenMetrics, LATENCY_BUCKETS_MS, Series } from './metrics.js';
export { roundRobin, RoundRobin, type Balancer, type BalancerFactory } from './balance/balancer.js';
export { peakEwma, PeakEwma, PEAK_EWMA_DEFAULTS, type PeakEwmaOptions } from './balance/peak-ewma.js';
export { EndpointQueue, QUEUE_DEFAULTS, type EndpointQueueOptions, type Waiter } from './balance/queue.js';
export {
  ConsecutiveFailures,
  FAILURE_ACCRUAL_DEFAULTS,
  type BreakerState,
  type FailureAccrualOptions,
  type Outcome,
} from './balance/breaker.js';
export { classify, PROXY_ERROR_HEADER, LINKERD_PROXY_ERROR_HEADER, type Failure } from './errors.js';
export type { TracingConfig } from './tracing/types.js';
export type { IdentitySource, TlsMaterial } from './tls/material.js';
