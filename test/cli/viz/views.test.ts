import { describe, expect, it } from 'vitest';
import { parsePromText } from '../../../engine/analysis/index.js';
import type { TapResponseEvent } from '../../../proxy/tap/event.js';
import { edgesOf } from '../../../cli/viz/edges.js';
import { tapLine } from '../../../cli/viz/tap-line.js';
import { latency, TopTable } from '../../../cli/viz/top-table.js';

const WEB_ID = 'web.test.serviceaccount.identity.weir.cluster.local';

function response(over: Partial<TapResponseEvent>): TapResponseEvent {
  return {
    type: 'response',
    id: 0,
    timestamp: 0,
    direction: 'inbound',
    namespace: 'test',
    deployment: 'web',
    pod: 'web-1',
    method: 'GET',
    path: '/',
    tls: false,
    src: { address: '127.0.0.1:5000' },
    dst: { address: '127.0.0.1:6000', pod: 'web-1' },
    status: 200,
    latencyMs: 2,
    ...over,
  };
}

describe('top', () => {
  it('counts by source, destination, method and path, busiest first, with best/worst/last and success', () => {
    const t = new TopTable(() => false);
    t.add(response({ path: '/a?x=1', latencyMs: 3 }));
    t.add(response({ path: '/a', latencyMs: 0.4, status: 503 }));
    t.add(response({ path: '/b', latencyMs: 12 }));
    expect(t.render().split('\n')).toEqual([
      'SOURCE      DESTINATION   METHOD   PATH   COUNT   BEST    WORST   LAST    SUCCESS',
      '127.0.0.1   web-1         GET      /a     2       400µs   3.0ms   400µs   50.00%',
      '127.0.0.1   web-1         GET      /b     1       12ms    12ms    12ms    100.00%',
    ]);
  });

  it('counts a request between two tapped pods once, at the server', () => {
    const t = new TopTable((ns, pod) => ns === 'test' && pod === 'web-1');
    const out = response({
      direction: 'outbound',
      pod: 'front-1',
      dst: { pod: 'web-1', namespace: 'test', service: 'test/web:80' },
    });
    t.add(out);
    t.add(
      response({
        src: { address: '127.0.0.1:1', identity: 'default.test.serviceaccount.identity.weir.cluster.local' },
      }),
    );
    t.add(response({ direction: 'outbound', pod: 'front-1', dst: { service: 'test/elsewhere:80' } }));
    expect(t.sorted().map((r) => `${r.source} -> ${r.destination}`)).toEqual([
      'default.test -> web-1',
      'front-1 -> test/elsewhere:80',
    ]);
    expect(latency(0.25)).toBe('250µs');
  });
});

describe('edges', () => {
  it('are secured only when every request of the edge went over mTLS, and say why not', () => {
    const text = `response_total{direction="outbound",namespace="test",deployment="front",pod="front-1",authority="web.test.svc.cluster.local:80",dst_namespace="test",dst_service="web",dst_deployment="web",dst_pod="web-1",tls="true",server_id="${WEB_ID}",classification="success",status_code="200"} 5
response_total{direction="outbound",namespace="test",deployment="front",pod="front-1",authority="db.test.svc.cluster.local:80",dst_namespace="test",dst_service="db",dst_deployment="db",dst_pod="db-1",tls="no_identity",no_tls_reason="not_provided_by_service_discovery",classification="success",status_code="200"} 2
response_total{direction="outbound",namespace="test",deployment="front",pod="front-1",authority="x.test.svc.cluster.local:80",dst_namespace="test",dst_service="x",classification="failure",status_code="503"} 1
response_total{direction="inbound",namespace="test",deployment="web",pod="web-1",tls="true",client_id="a",classification="success",status_code="200"} 5
`;
    const edges = edgesOf([parsePromText(text).samples], 'deployment', () => 'default.test.serviceaccount.identity');
    expect(edges).toEqual([
      {
        src: 'front',
        src_namespace: 'test',
        dst: 'db',
        dst_namespace: 'test',
        client_id: null,
        server_id: null,
        no_tls_reason: 'not_provided_by_service_discovery',
        secured: false,
        requests: 2,
      },
      {
        src: 'front',
        src_namespace: 'test',
        dst: 'web',
        dst_namespace: 'test',
        client_id: 'default.test.serviceaccount.identity',
        server_id: WEB_ID,
        no_tls_reason: null,
        secured: true,
        requests: 5,
      },
    ]);
  });
});

describe('tap lines', () => {
  it('print as Linkerd prints them, with the proxy error and the wide fields', () => {
    const e = response({ status: 502, latencyMs: 1.5, error: 'connection refused', authority: 'web:80' });
    expect(tapLine(e, 2, false)).toBe(
      'rsp id=2:0 proxy=in  src=127.0.0.1:5000 dst=127.0.0.1:6000 tls=false :status=502 latency=1500µs error="connection refused"',
    );
    expect(tapLine({ ...e, type: 'request' } as never, 2, true)).toBe(
      'req id=2:0 proxy=in  src=127.0.0.1:5000 dst=127.0.0.1:6000 tls=false :method=GET :authority=web:80 :path=/ dst_res=pod/web-1 pod=web-1',
    );
    expect(tapLine({ type: 'dropped', count: 7 }, 1, false)).toBe('dropped 7 events: the tap was read too slowly');
  });
});
