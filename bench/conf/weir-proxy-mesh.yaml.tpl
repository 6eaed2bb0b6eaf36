# The mesh file of `weir proxy` for a benchmark (.tpl: not YAML until rendered; prettier would mangle {{...}})
# ({{...}} as bench/run.sh's render() fills haproxy.cfg):
# Service bench/bench on 127.0.0.1:{{PORT}}, split 90/10 by an HTTPRoute between Services `a` and `b`,
# whose endpoints are the upstreams on 127.0.0.1:{{UP_A}} and 127.0.0.1:{{UP_B}}. {{APP_PROTOCOL}} is
# empty for HTTP/1.1 upstreams and `, appProtocol: kubernetes.io/h2c` for h2c ones (the Kubernetes way
# to say a port speaks HTTP/2 without TLS). `a` and `b` share the port, so they get loopback cluster
# IPs of their own (127.0.2.1, 127.0.2.2), as Flagger's generated Services have on a cluster; named here,
# because otherwise the first Service by name (`a`) would hold 127.0.0.1:{{PORT}} instead of `bench`.
#   render weir-proxy-mesh.yaml.tpl "$WORK/weir-h1.yaml" PORT=... UP_A=... UP_B=... APP_PROTOCOL=
#   node bin/weir.js proxy --config "$WORK/weir-h1.yaml" --admin-port 0
apiVersion: v1
kind: Service
metadata: { name: bench, namespace: bench }
spec:
  ports: [{ name: http, port: {{PORT}} }]
---
apiVersion: v1
kind: Service
metadata: { name: a, namespace: bench }
spec:
  clusterIP: 127.0.2.1
  ports: [{ name: http, port: {{PORT}}{{APP_PROTOCOL}} }]
---
apiVersion: v1
kind: Service
metadata: { name: b, namespace: bench }
spec:
  clusterIP: 127.0.2.2
  ports: [{ name: http, port: {{PORT}}{{APP_PROTOCOL}} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: a-1, namespace: bench, labels: { kubernetes.io/service-name: a } }
addressType: IPv4
ports: [{ name: http, port: {{UP_A}} }]
endpoints: [{ addresses: [127.0.0.1] }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: b-1, namespace: bench, labels: { kubernetes.io/service-name: b } }
addressType: IPv4
ports: [{ name: http, port: {{UP_B}} }]
endpoints: [{ addresses: [127.0.0.1] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench-split, namespace: bench }
spec:
  parentRefs: [{ group: core, kind: Service, name: bench, port: {{PORT}} }]
  rules:
    - backendRefs:
        - { name: a, port: {{PORT}}, weight: 90 }
        - { name: b, port: {{PORT}}, weight: 10 }
