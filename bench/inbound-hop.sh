#!/usr/bin/env bash
# Why `weir up` costs more CPU per request than a standalone proxy: one `weir proxy` process serving
# outbound only, against the same process also serving the inbound hop in front of the app, as `weir up`
# does today (each pod's inbound sidecar runs inside the weir up process). Alternated twice, same run.
# run after `npm run build`; needs wrk and bc
set -u
cd "$(dirname "$0")/.."
W=$(mktemp -d)
free() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
UP=$(free); P=$(free); IN=$(free)
node -e "require('http').createServer((q,r)=>{r.setHeader('content-type','text/plain');r.end('x'.repeat(64))}).listen($UP,'127.0.0.1')" &
UPPID=$!
mesh() { # $1 = endpoint port
cat <<Y
apiVersion: v1
kind: Service
metadata: { name: bench, namespace: b }
spec: { ports: [{ name: http, port: $P }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: bench-1, namespace: b, labels: { kubernetes.io/service-name: bench } }
addressType: IPv4
ports: [{ name: http, port: $1 }]
endpoints: [{ addresses: [127.0.0.1] }]
Y
}
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
run() { # $1 label, rest args
  local label=$1; shift
  node bin/weir.js proxy "$@" > $W/out 2>&1 &
  local pid=$!
  for i in $(seq 50); do grep -q "ready" $W/out && break; sleep 0.2; done
  wrk -t1 -c50 -d3s http://127.0.0.1:$P/ >/dev/null 2>&1
  local c0=$(cpu $pid)
  local out=$(wrk -t1 -c50 -d5s http://127.0.0.1:$P/ 2>&1)
  local c1=$(cpu $pid)
  local n=$(echo "$out" | awk '/requests in/{print $1}')
  local tck=$(getconf CLK_TCK)
  echo "$label: $n requests, $(echo "($c1-$c0)*1000000/$tck/$n" | bc -l | cut -c1-6) us CPU/req, $(echo "$out" | awk '/Requests\/sec/{print $2}') rps"
  kill $pid; wait $pid 2>/dev/null
}
mesh $UP > $W/direct.yaml
mesh $IN > $W/chain.yaml
for r in 1 2; do
  run "outbound only        " --config $W/direct.yaml
  run "outbound + inbound hop" --config $W/chain.yaml --app-port $UP --inbound-port $IN
done
kill $UPPID
rm -rf $W
