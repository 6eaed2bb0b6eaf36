/**
 * A mesh file for `weir proxy`: Service `test/web` on `port`, split by an HTTPRoute between Services
 * `web-v1` and `web-v2` (selector-less, each with an EndpointSlice to one address). Document 6 is the
 * HTTPRoute; its first backendRef is `web-v1`.
 */
export interface MeshFileOptions {
  port: number;
  v1: number;
  v2: number;
  /** the weights of web-v1 and web-v2 (default 90, 10); a string is written as given */
  weights?: [number | string, number | string];
  /** extra documents appended */
  extra?: string;
}

export function meshYaml(o: MeshFileOptions): string {
  const [w1, w2] = (o.weights ?? [90, 10]).map((w) => (typeof w === 'string' ? JSON.stringify(w) : String(w)));
  const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  ports: [{ name: http, port: ${o.port} }]
`;
  const slice = (service: string, port: number) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${service}-1, namespace: test, labels: { kubernetes.io/service-name: ${service} } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
  const route = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: test }
spec:
  parentRefs: [{ group: core, kind: Service, name: web, port: ${o.port} }]
  rules:
    - backendRefs:
        - { name: web-v1, port: ${o.port}, weight: ${w1} }
        - { name: web-v2, port: ${o.port}, weight: ${w2} }
`;
  return [service('web'), service('web-v1'), service('web-v2'), slice('web-v1', o.v1), slice('web-v2', o.v2), route]
    .concat(o.extra !== undefined ? [o.extra] : [])
    .join('---\n');
}
