# The mesh file of `weir proxy` for a benchmark (.tpl: not YAML until rendered; prettier would mangle {{...}})
# ({{...}} as bench/run.sh's render() fills haproxy.cfg):
# Service bench/bench on 127.0.0.1:{{PORT}}, split 90/10 by an HTTPRoute between Services `a` and `b`,
# whose endpoints are the upstreams on 127.0.0.1:{{UP_A}} and 127.0.0.1:{{UP_B}} (HTTP/1.1 or h2c: the
# proxy speaks to an endpoint what the client spoke). `a` and `b` share the port, so they listen on
# loopback cluster IPs 127.0.1.1 and 127.0.1.2, as Flagger's generated Services would on a cluster.
#   render weir-proxy-mesh.yaml.tpl "$WORK/weir-proxy.yaml" PORT=... UP_A=... UP_B=...
#   node bin/weir.js proxy --config "$WORK/weir-proxy.yaml" --admin-port ADMIN
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
  ports: [{ name: http, port: {{PORT}} }]
---
apiVersion: v1
kind: Service
metadata: { name: b, namespace: bench }
spec:
  ports: [{ name: http, port: {{PORT}} }]
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
