import type { MeshSnapshot } from '../../../engine/mesh/snapshot.js';
import { backend, endpoints, httpRoute, service, type Echo } from '../../proxy/support/harness.js';

/**
 * Service test/web on `port`, split by an HTTPRoute between `web-v1` and `web-v2` (one echo endpoint each):
 * the mesh the `weir proxy --control-plane` tests serve.
 */
export function weightedWebMesh(
  port: number,
  v1: Echo,
  v2: Echo,
  weights: [number, number],
): Omit<MeshSnapshot, 'version'> {
  const web = service('web', port, 'test');
  const s1 = service('web-v1', port, 'test');
  const s2 = service('web-v2', port, 'test');
  // the Services share a port: each gets its own loopback address, as discovery assigns them
  s1.spec.clusterIP = '127.0.1.1';
  s2.spec.clusterIP = '127.0.1.2';
  return {
    services: [web, s1, s2],
    httpRoutes: [
      httpRoute(
        'web',
        'web',
        [{ backendRefs: [backend('web-v1', port, weights[0]), backend('web-v2', port, weights[1])] }],
        'test',
      ),
    ],
    grpcRoutes: [],
    endpoints: [
      endpoints(web, []),
      endpoints(s1, [{ port: v1.port, pod: 'web-v1-1' }]),
      endpoints(s2, [{ port: v2.port, pod: 'web-v2-1' }]),
    ],
  };
}
