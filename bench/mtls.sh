#!/usr/bin/env bash
# mTLS cost: one meshed hop (outbound proxy -> inbound proxy -> app, both proxies in one process) with
# mutual TLS between the proxies, against the same hop in plaintext, alternated twice in one run.
# Prints CPU per request of the proxy process (wrk -c50, 64 B) and the p50 at one connection (wrk -c1),
# and the difference mTLS makes. Needs wrk and bc; runs from the source tree with tsx.
set -u
cd "$(dirname "$0")/.."
W=$(mktemp -d)
free() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
UP=$(free)
node -e "require('http').createServer((q,r)=>{r.setHeader('content-type','text/plain');r.end('x'.repeat(64))}).listen($UP,'127.0.0.1')" &
UPPID=$!
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
TCK=$(getconf CLK_TCK)
run() { # $1 = plain | mtls
  local P=$(free)
  MODE=$1 APP_PORT=$UP PORT=$P node --import tsx bench/mtls-pair.ts > $W/out 2>&1 &
  local pid=$!
  for i in $(seq 300); do grep -q "^ready" $W/out && break; sleep 0.2; done
  grep -q "^ready" $W/out || { echo "$1: did not start"; cat $W/out; kill $pid; return; }
  wrk -t1 -c50 -d3s http://127.0.0.1:$P/ >/dev/null 2>&1
  local c0=$(cpu $pid)
  local out=$(wrk -t1 -c50 -d5s http://127.0.0.1:$P/ 2>&1)
  local c1=$(cpu $pid)
  local n=$(echo "$out" | awk '/requests in/{print $1}')
  local us=$(echo "($c1-$c0)*1000000/$TCK/$n" | bc -l | cut -c1-6)
  local p50=$(wrk -t1 -c1 -d4s --latency http://127.0.0.1:$P/ 2>&1 | awk '$1=="50%"{print $2}')
  printf '%-6s %8s requests  %7s us CPU/req  %8s rps (c50)  p50 %s (c1)\n' "$1" "$n" "$us" \
    "$(echo "$out" | awk '/Requests\/sec/{print $2}')" "$p50"
  kill $pid; wait $pid 2>/dev/null
}
for r in 1 2; do
  run plain
  run mtls
done
kill $UPPID
rm -rf $W
