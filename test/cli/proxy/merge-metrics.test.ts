import { describe, expect, it } from 'vitest';
import { mergeMetricsText } from '../../../cli/proxy/merge-metrics.js';

const outbound = `# HELP request_total Total count of HTTP requests.
# TYPE request_total counter
request_total{direction="outbound"} 3
# HELP response_latency_ms Latency.
# TYPE response_latency_ms histogram
response_latency_ms_bucket{direction="outbound",le="1"} 1
response_latency_ms_bucket{direction="outbound",le="+Inf"} 3
response_latency_ms_sum{direction="outbound"} 4.5
response_latency_ms_count{direction="outbound"} 3
# HELP outbound_http_balancer_endpoints Endpoints.
# TYPE outbound_http_balancer_endpoints gauge
outbound_http_balancer_endpoints{ready="true"} 2
`;
const inbound = `# HELP request_total Total count of HTTP requests.
# TYPE request_total counter
request_total{direction="inbound"} 1
# HELP response_latency_ms Latency.
# TYPE response_latency_ms histogram
response_latency_ms_bucket{direction="inbound",le="1"} 0
response_latency_ms_bucket{direction="inbound",le="+Inf"} 1
response_latency_ms_sum{direction="inbound"} 7
response_latency_ms_count{direction="inbound"} 1
`;

describe('merging Prometheus expositions', () => {
  it('puts each family once, with the samples of every text under it', () => {
    expect(mergeMetricsText([outbound, inbound])).toBe(`# HELP request_total Total count of HTTP requests.
# TYPE request_total counter
request_total{direction="outbound"} 3
request_total{direction="inbound"} 1
# HELP response_latency_ms Latency.
# TYPE response_latency_ms histogram
response_latency_ms_bucket{direction="outbound",le="1"} 1
response_latency_ms_bucket{direction="outbound",le="+Inf"} 3
response_latency_ms_sum{direction="outbound"} 4.5
response_latency_ms_count{direction="outbound"} 3
response_latency_ms_bucket{direction="inbound",le="1"} 0
response_latency_ms_bucket{direction="inbound",le="+Inf"} 1
response_latency_ms_sum{direction="inbound"} 7
response_latency_ms_count{direction="inbound"} 1
# HELP outbound_http_balancer_endpoints Endpoints.
# TYPE outbound_http_balancer_endpoints gauge
outbound_http_balancer_endpoints{ready="true"} 2
`);
  });

  it('keeps one text as it is, and gives nothing for nothing', () => {
    expect(mergeMetricsText([outbound])).toBe(outbound);
    expect(mergeMetricsText(['', ''])).toBe('');
  });

  it('gives a sample with no header a family of its own', () => {
    expect(mergeMetricsText(['# TYPE a counter\na 1\n', 'b 2\n'])).toBe('# TYPE a counter\na 1\nb 2\n');
  });
});
