#!/usr/bin/env bash
# Node/V8 flags and undici pool size vs the Weir proxy's RSS, throughput and CPU, side by side in one run.
# Each variant is started fresh, measured (RSS at start; wrk max for DUR s; open loop at RATE req/s for
# DUR s; VmHWM at the end) and stopped; the variants are interleaved over ROUNDS rounds.
#
#   bash bench/node-flags.sh                     (after bench/run.sh built bench/.build; ~5 min)
#   VARIANTS="base semi1 semi2" ROUNDS=3 DUR=10 bash bench/node-flags.sh
#
# Output: one JSON line per measurement in $WORK/flags.jsonl, then a Markdown table (medians).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$HERE/.build/bench"
ROUNDS=${ROUNDS:-2} DUR=${DUR:-8} RATE=${RATE:-1000} CONNS=${CONNS:-50}
VARIANTS=${VARIANTS:-"base semi1 semi2 semi4 optsize old32 pool16 semi2-pool16"}
WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/weir-flags.XXXXXX")}
mkdir -p "$WORK"
OUT="$WORK/flags.jsonl"
: >"$OUT"
[ -f "$BUILD/weir-proxy.js" ] || { echo "build first: node node_modules/typescript/bin/tsc -p bench/tsconfig.json" >&2; exit 1; }
[ -x "$WORK/openloop" ] || gcc -O2 -o "$WORK/openloop" "$HERE/openloop.c"

flags_of() { # variant -> "node flags|proxy args|environment"
  case "$1" in
    base) echo "|" ;;
    optsize-semi1) echo "--optimize-for-size --max-semi-space-size=1|" ;;
    liftoff) echo "--liftoff-only|" ;;
    optsize-liftoff) echo "--optimize-for-size --liftoff-only|" ;;
    optsize-nounroll) echo "--optimize-for-size --no-wasm-loop-unrolling|" ;;
    optsize-nounroll-noinline) echo "--optimize-for-size --no-wasm-loop-unrolling --no-wasm-inlining|" ;;
    nowasmtier) echo "--no-wasm-tier-up|" ;;
    optsize-nowasmtier) echo "--optimize-for-size --no-wasm-tier-up|" ;;
    arena2) echo "||MALLOC_ARENA_MAX=2" ;;
    optsize-arena2) echo "--optimize-for-size||MALLOC_ARENA_MAX=2" ;;
    single) echo "--single-threaded|" ;;
    optsize-single) echo "--optimize-for-size --single-threaded|" ;;
    optsize-single-arena2) echo "--optimize-for-size --single-threaded||MALLOC_ARENA_MAX=2" ;;
    semi1) echo "--max-semi-space-size=1|" ;;
    semi2) echo "--max-semi-space-size=2|" ;;
    semi4) echo "--max-semi-space-size=4|" ;;
    optsize) echo "--optimize-for-size|" ;;
    old32) echo "--max-old-space-size=32|" ;;
    pool16) echo "|--pool-connections 16" ;;
    semi2-pool16) echo "--max-semi-space-size=2|--pool-connections 16" ;;
    semi1-pool16) echo "--max-semi-space-size=1|--pool-connections 16" ;;
    semi2-optsize) echo "--max-semi-space-size=2 --optimize-for-size|" ;;
    lite) echo "--lite-mode|" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

declare -a PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do port_open "$1" && return 0; sleep 0.1; done; echo "port $1 not open" >&2; exit 1; }
tree_pids() { local c; echo "$1"; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done; }
cpu_ticks() { local f; f=$(cut -d')' -f2- "/proc/$1/stat"); set -- $f; echo $((${12} + ${13})); }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
HZ=$(getconf CLK_TCK)

read -r PA PB PW <<<"$(node "$BUILD/tools.js" ports 3)"
node "$BUILD/upstream.js" h1 "$PA" a >"$WORK/up-a.log" 2>&1 & PIDS+=($!)
node "$BUILD/upstream.js" h1 "$PB" b >"$WORK/up-b.log" 2>&1 & PIDS+=($!)
wait_port "$PA"; wait_port "$PB"
echo "{\"test\":\"env\",\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"dur\":$DUR,\"rate\":$RATE}" >>"$OUT"

for round in $(seq "$ROUNDS"); do
  for v in $VARIANTS; do
    spec=$(flags_of "$v")
    nflags=${spec%%|*} rest=${spec#*|}
    pargs=${rest%%|*} envs=""
    [[ "$rest" == *"|"* ]] && envs=${rest#*|}
    # shellcheck disable=SC2086
    env $envs node $nflags "$BUILD/weir-proxy.js" --port "$PW" --a "127.0.0.1:$PA" --b "127.0.0.1:$PB" $pargs >"$WORK/weir-$v.log" 2>&1 &
    wp=$!
    PIDS+=("$wp")
    for _ in $(seq 150); do grep -q '"ready":true' "$WORK/weir-$v.log" && break; sleep 0.1; done
    wait_port "$PW"
    sleep 0.5
    rss0=$(status_kb VmRSS "$wp")
    timeout 20 wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PW/64" >/dev/null 2>&1 || true
    c0=$(cpu_ticks "$wp")
    w=$(timeout $((DUR + 20)) wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 5s -s "$HERE/wrk-json.lua" "http://127.0.0.1:$PW/64" | tail -1)
    c1=$(cpu_ticks "$wp")
    o=$(timeout $((DUR + 25)) "$WORK/openloop" -p "$PW" -u /64 -r "$RATE" -d "$DUR" -w 1 -c "$CONNS" || echo '{"failed":true}')
    c2=$(cpu_ticks "$wp")
    hwm=$(status_kb VmHWM "$wp")
    rss1=$(status_kb VmRSS "$wp")
    kill -USR2 "$wp"; sleep 0.2
    mu=$(grep memoryUsage "$WORK/weir-$v.log" | tail -1 || echo '{}')
    kill -TERM "$wp"; wait "$wp" 2>/dev/null || true
    echo "{\"round\":$round,\"variant\":\"$v\",\"node_flags\":\"$envs${envs:+ }$nflags\",\"proxy_args\":\"$pargs\",\"rss_start_kb\":$rss0,\"hwm_kb\":$hwm,\"rss_end_kb\":$rss1,\"cpu_max_s\":$(awk -v t=$((c1 - c0)) -v h="$HZ" 'BEGIN{print t/h}'),\"cpu_rate_s\":$(awk -v t=$((c2 - c1)) -v h="$HZ" 'BEGIN{print t/h}'),\"wrk\":$w,\"open\":$o,\"mem\":${mu:-{\}}}" >>"$OUT"
    echo "round $round $v done" >&2
  done
done
echo "{\"test\":\"end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$OUT"

node - "$OUT" "$DUR" "$RATE" <<'EOF'
const fs = require('node:fs');
const [file, dur, rate] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const env = rows.find((r) => r.test === 'env'), end = rows.find((r) => r.test === 'end');
const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const by = new Map();
for (const r of rows) if (r.variant) (by.get(r.variant) ?? by.set(r.variant, []).get(r.variant)).push(r);
const base = by.get('base');
const baseRps = base ? med(base.map((r) => r.wrk.requests / Number(dur))) : NaN;
console.log(`loadavg ${env.loadavg_start} -> ${end?.loadavg_end}; ${by.values().next().value?.length ?? 0} rounds, wrk -c50 ${dur}s, open loop ${rate}/s ${dur}s\n`);
console.log('| variant | node flags | proxy args | RSS at start MB | peak RSS MB | max rps | × base | CPU µs/req (max) | CPU µs/req at ' + rate + '/s | p50 ms at ' + rate + '/s | p99 ms | heap total/used MB at end |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [v, rs] of by) {
  const rps = med(rs.map((r) => r.wrk.requests / Number(dur)));
  const us = med(rs.map((r) => (r.cpu_max_s * 1e6) / r.wrk.requests));
  const usr = med(rs.map((r) => (r.open.failed ? NaN : (r.cpu_rate_s * 1e6) / (Number(rate) * (Number(dur) + 1)))));
  const p50 = med(rs.map((r) => (r.open.p50_us ?? NaN) / 1000));
  const p99 = med(rs.map((r) => (r.open.p99_us ?? NaN) / 1000));
  const ht = med(rs.map((r) => (r.mem?.memoryUsage?.heapTotal ?? NaN) / 1048576));
  const hu = med(rs.map((r) => (r.mem?.memoryUsage?.heapUsed ?? NaN) / 1048576));
  console.log(`| ${v} | ${rs[0].node_flags || '—'} | ${rs[0].proxy_args || '—'} | ${med(rs.map((r) => r.rss_start_kb / 1024)).toFixed(0)} | ${med(rs.map((r) => r.hwm_kb / 1024)).toFixed(0)} (${Math.min(...rs.map((r) => r.hwm_kb / 1024)).toFixed(0)}–${Math.max(...rs.map((r) => r.hwm_kb / 1024)).toFixed(0)}) | ${Math.round(rps).toLocaleString('en-US')} | ${(rps / baseRps).toFixed(2)}× | ${us.toFixed(0)} | ${usr.toFixed(0)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${ht.toFixed(0)}/${hu.toFixed(0)} |`);
}
console.log(`\nraw: ${file}`);
EOF
