export { startOutboundProxy, type OutboundProxy, type OutboundProxyOptions, type ListenerInfo } from './outbound.js';
export { startInboundProxy, type InboundProxy, type InboundProxyOptions } from './inbound.js';
export { GoldenMetrics, LATENCY_BUCKETS_MS, Series } from './metrics.js';
export { roundRobin, RoundRobin, type Balancer, type BalancerFactory } from './balancer.js';
export {
  upstreamFailure,
  sendProxyError,
  PROXY_ERROR_HEADER,
  LINKERD_PROXY_ERROR_HEADER,
  type ProxyFailure,
} from './errors.js';
