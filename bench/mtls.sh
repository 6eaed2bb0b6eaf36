#!/usr/bin/env bash
# mTLS cost: one meshed hop (outbound proxy -> inbound proxy -> app, both proxies in one process) with
# mutual TLS between the proxies, against the same hop in plaintext, alternated ROUNDS times (default 2)
# in one run; the load average is printed with each row, the medians and what mTLS adds at the end.
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
  printf '%-6s %8s requests  %7s us CPU/req  %8s rps (c50)  p50 %s (c1)  load %s\n' "$1" "$n" "$us" \
    "$(echo "$out" | awk '/Requests\/sec/{print $2}')" "$p50" "$(cut -d' ' -f1 /proc/loadavg)"
  # p50 in µs (wrk prints 745.00us, 1.29ms or 1.01s)
  local p50us=$(echo "$p50" | awk '/us$/{print $1+0} /ms$/{print $1*1000} /[0-9]s$/{print $1*1000000}')
  echo "$1 $us $p50us" >> $W/rows
  kill $pid; wait $pid 2>/dev/null
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq ${ROUNDS:-2}); do
  run plain
  run mtls
done
# medians per mode, and what mTLS adds (the same run, modes alternated)
awk '
  { cpu[$1] = cpu[$1] " " $2; p50[$1] = p50[$1] " " $3 }
  function med(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    pc = med(cpu["plain"]); mc = med(cpu["mtls"]); pp = med(p50["plain"]); mp = med(p50["mtls"])
    printf "median  plain %.0f us CPU/req, p50 %.0f us | mtls %.0f us CPU/req, p50 %.0f us\n", pc, pp, mc, mp
    printf "mTLS adds %.0f us CPU/req (%.2fx) and %.0f us p50 (%.2fx)\n", mc - pc, mc / pc, mp - pp, mp / pp
  }' $W/rows
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
kill $UPPID
rm -rf $W
