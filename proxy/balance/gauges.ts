import type { ServicePortRef } from '../../engine/routing/index.js';
import type { Balancer } from './balancer.js';
import { renderLabels } from '../metrics.js';

export interface BalancedBackend {
  /** the Service port whose listener routes to the backend */
  parent: ServicePortRef;
  backend: ServicePortRef;
  balancer: Balancer<unknown>;
  /** requests waiting for an endpoint */
  queued: number;
  failFast: boolean;
}

/**
 * Balancer gauges with Linkerd's names (linkerd.md 1.13), rendered on scrape only:
 * - `outbound_http_balancer_endpoints{parent_*,backend_*,state="ready|pending"}`: endpoints that may
 *   take requests, and those that may not now (ejected by failure accrual, or probing)
 * - `outbound_http_balancer_queue_length{…}`: requests waiting for an endpoint
 * - `outbound_http_balancer_fail_fast{…}`: 1 while the backend fails fast
 */
export function renderBalancerGauges(backends: Iterable<BalancedBackend>): string {
  const eps = [
    '# HELP outbound_http_balancer_endpoints The number of endpoints of a backend, by readiness.',
    '# TYPE outbound_http_balancer_endpoints gauge',
  ];
  const queue = [
    '# HELP outbound_http_balancer_queue_length Requests waiting for an endpoint of a backend.',
    '# TYPE outbound_http_balancer_queue_length gauge',
  ];
  const ff = [
    '# HELP outbound_http_balancer_fail_fast Whether a backend fails fast (no endpoint within the bound).',
    '# TYPE outbound_http_balancer_fail_fast gauge',
  ];
  for (const b of backends) {
    const labels = renderLabels([
      ['parent_namespace', b.parent.namespace],
      ['parent_name', b.parent.service],
      ['parent_port', String(b.parent.port)],
      ['backend_namespace', b.backend.namespace],
      ['backend_name', b.backend.service],
      ['backend_port', String(b.backend.port)],
    ]);
    const ready = b.balancer.available?.() ?? b.balancer.size;
    eps.push(`outbound_http_balancer_endpoints{${labels},state="ready"} ${ready}`);
    eps.push(`outbound_http_balancer_endpoints{${labels},state="pending"} ${b.balancer.size - ready}`);
    queue.push(`outbound_http_balancer_queue_length{${labels}} ${b.queued}`);
    ff.push(`outbound_http_balancer_fail_fast{${labels}} ${b.failFast ? 1 : 0}`);
  }
  return `${eps.join('\n')}\n${queue.join('\n')}\n${ff.join('\n')}\n`;
}
