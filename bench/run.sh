#!/usr/bin/env bash
# Weir proxy benchmark: direct vs HAProxy vs nginx vs the Weir outbound proxy (90/10 split, metrics on),
# HTTP/1.1 and h2c, side by side in one run on loopback.  See bench/README.md.
#
#   bash bench/run.sh              full run: 3 repetitions, ~20-25 min on 2 cores
#   SMOKE=1 bash bench/run.sh      one short repetition, ~3 min
#
# Every process listens on 127.0.0.1 on ports the system handed out, is started here and is stopped
# here by its PID; every load run is bounded by `timeout`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$HERE/.build/bench"

# ---- knobs ----
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  REPS=${REPS:-1} DUR=${DUR:-3} RATE_DUR=${RATE_DUR:-3} WARM=${WARM:-1}
  RATES=${RATES-1000} H2_RATES=${H2_RATES-1000} SIZES=${SIZES:-64} PROFILE=${PROFILE:-0}
else
  REPS=${REPS:-3} DUR=${DUR:-10} RATE_DUR=${RATE_DUR:-10} WARM=${WARM:-2}
  RATES=${RATES-"1000 2500"} H2_RATES=${H2_RATES-1000} SIZES=${SIZES:-"64 4k"} PROFILE=${PROFILE:-1}
fi
CONNS=${CONNS:-50}                # HTTP/1.1 connections (wrk -c, openloop -c)
H2_CONNS=${H2_CONNS:-10}          # h2load -c
H2_STREAMS=${H2_STREAMS:-10}      # h2load -m
SPLIT_N=${SPLIT_N:-500}           # requests of the split check
ONLY=${ONLY:-}                    # subset of: direct haproxy nginx weir
PROTOS=${PROTOS:-"h1 h2c"}        # h1 and/or h2c
# node flags of the Weir proxy, e.g. the memory-saving sidecar flags of proxy/README.md:
#   WEIR_FLAGS="--optimize-for-size --no-wasm-loop-unrolling"   (bench/node-flags.sh measures the trade-off)
WEIR_FLAGS=${WEIR_FLAGS:-}
SKIP_INSTALL=${SKIP_INSTALL:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/weir-bench.XXXXXX")}
mkdir -p "$WORK/logs"
RES="$WORK/results.jsonl"
: >"$RES"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- 1. Debian packages (only the missing ones) ----
install_missing() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v h2load >/dev/null || need+=(nghttp2-client)
  [ -x /usr/sbin/haproxy ] || need+=(haproxy)
  [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v gcc >/dev/null || need+=(gcc libc6-dev)
  command -v ps >/dev/null || need+=(procps)
  command -v timeout >/dev/null || need+=(coreutils)
  ((${#need[@]})) || return 0
  [ "$(id -u)" = 0 ] || die "missing packages; run: sudo apt-get install ${need[*]} (or as root)"
  log "apt-get install ${need[*]}"
  # keep the packages' maintainer scripts from starting system nginx/haproxy services
  local policy_made=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_made=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } \
    >"$WORK/logs/apt.log" 2>&1 || rc=$?
  [ "$policy_made" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || die "apt-get failed, see $WORK/logs/apt.log"
}
[ "$SKIP_INSTALL" = 1 ] || install_missing
command -v node >/dev/null || die "node (>= 20.18.1) is required"

# ---- 2. build: the bench files plus the proxy/ and engine/ they import, from source, into bench/.build ----
if [ "$SKIP_BUILD" != 1 ]; then
  log "building bench/ (tsc -p bench/tsconfig.json)"
  (cd "$ROOT" && node node_modules/typescript/bin/tsc -p bench/tsconfig.json) || die "build failed"
  log "building weir (npm run build: dist/, what bin/weir.js runs)"
  (cd "$ROOT" && npm run -s build) || die "build failed"
fi
[ -f "$ROOT/dist/cli/main.js" ] || die "$ROOT/dist/cli/main.js missing (build with SKIP_BUILD unset)"
[ -f "$BUILD/weir-proxy.js" ] || die "$BUILD/weir-proxy.js missing (build with SKIP_BUILD unset)"
gcc -O2 -o "$WORK/openloop" "$HERE/openloop.c" || die "cannot compile openloop.c"
tool() { node "$BUILD/tools.js" "$@"; }

# ---- 3. processes: started here, stopped by PID ----
declare -A PID=()
start() { # name cmd... (in the background; the PID is the command's own)
  local name=$1
  shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  PID[$name]=$!
}
stop() { # name: TERM, then KILL after 3 s
  local name=$1 pid=${PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PID[$name]"
}
cleanup() {
  local name
  for name in "${!PID[@]}"; do stop "$name"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port name
  for _ in $(seq 100); do
    port_open "$1" && return 0
    kill -0 "${PID[$2]}" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$WORK/logs/$2.log" >&2 || true
  die "$2 did not open port $1"
}
tree_pids() { # a PID and its descendants
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done
}
cpu_ticks() { # utime+stime (clock ticks) summed over a process tree
  local total=0 p fields
  for p in $(tree_pids "$1"); do
    fields=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
    # shellcheck disable=SC2086
    set -- $fields
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
mem_kb() { # VmHWM|VmRSS pid: summed over a process tree
  local total=0 p v
  for p in $(tree_pids "$2"); do
    v=$(awk -v k="$1:" '$1 == k {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)
secs_of() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'; }

# ---- 4. ports and configs ----
read -r P_UP_A P_UP_B P_UP2_A P_UP2_B P_HAP_H1 P_HAP_H2C P_NGX_H1 P_NGX_H2C P_WEIR_H1 P_WEIR_H2C <<<"$(tool ports 10)"
render() { # template output KEY=value...
  local tpl=$1 out=$2 args=() kv
  shift 2
  for kv in "$@"; do args+=(-e "s|{{${kv%%=*}}}|${kv#*=}|g"); done
  sed "${args[@]}" "$HERE/conf/$tpl" >"$out"
}
COMMON=(UP_A="$P_UP_A" UP_B="$P_UP_B" UP2_A="$P_UP2_A" UP2_B="$P_UP2_B")
render haproxy.cfg "$WORK/haproxy.cfg" PORT_H1="$P_HAP_H1" PORT_H2C="$P_HAP_H2C" "${COMMON[@]}"
render nginx.conf "$WORK/nginx.conf" NAME=nginx PORT_H1="$P_NGX_H1" PORT_H2C="$P_NGX_H2C" "${COMMON[@]}"
mkdir -p "$WORK/nginx-tmp"

# ---- 5. environment facts ----
json_str() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }
UNDICI_V=$(node -p "require('$ROOT/node_modules/undici/package.json').version")
{
  printf '{"test":"env","date":%s,"mode":%s' "$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$([ "$SMOKE" = 1 ] && echo smoke || echo full)")"
  printf ',"nproc":%s,"cpu":%s,"kernel":%s' "$(nproc)" "$(json_str "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)")" "$(json_str "$(uname -r)")"
  printf ',"mem_kb":%s,"node":%s,"undici":%s' "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" "$(json_str "$(node --version)")" "$(json_str "$UNDICI_V")"
  printf ',"haproxy":%s' "$(json_str "$(/usr/sbin/haproxy -v | head -1)")"
  printf ',"nginx":%s' "$(json_str "$(/usr/sbin/nginx -v 2>&1)")"
  printf ',"wrk":%s' "$(json_str "$(wrk -v 2>&1 | head -1)")"
  printf ',"h2load":%s' "$(json_str "$(h2load --version 2>&1 | head -1)")"
  printf ',"debs":%s' "$(json_str "$(dpkg-query -W -f '${Package}=${Version} ' haproxy nginx wrk nghttp2-client 2>/dev/null)")"
  printf ',"weir_flags":%s' "$(json_str "$WEIR_FLAGS")"
  printf ',"loadavg_start":%s' "$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
  printf ',"knobs":{"reps":%s,"dur":%s,"rate_dur":%s,"warm":%s,"rates":%s,"h2_rates":%s,"sizes":%s,"conns":%s,"h2_conns":%s,"h2_streams":%s}}\n' \
    "$REPS" "$DUR" "$RATE_DUR" "$WARM" "$(json_str "$RATES")" "$(json_str "$H2_RATES")" "$(json_str "$SIZES")" "$CONNS" "$H2_CONNS" "$H2_STREAMS"
} >>"$RES"
log "work dir: $WORK"

# ---- 6. upstreams (for the whole run) ----
start up-a node "$BUILD/upstream.js" h1 "$P_UP_A" a
start up-b node "$BUILD/upstream.js" h1 "$P_UP_B" b
start up2-a node "$BUILD/upstream.js" h2c "$P_UP2_A" a
start up2-b node "$BUILD/upstream.js" h2c "$P_UP2_B" b
wait_port "$P_UP_A" up-a; wait_port "$P_UP_B" up-b; wait_port "$P_UP2_A" up2-a; wait_port "$P_UP2_B" up2-b

# ---- 7. targets: start / port / process ----
target_port() { # target proto
  case "$1:$2" in
    direct:h1) echo "$P_UP_A" ;; direct:h2c) echo "$P_UP2_A" ;;
    haproxy:h1) echo "$P_HAP_H1" ;; haproxy:h2c) echo "$P_HAP_H2C" ;;
    nginx:h1) echo "$P_NGX_H1" ;; nginx:h2c) echo "$P_NGX_H2C" ;;
    weir:h1) echo "$P_WEIR_H1" ;; weir:h2c) echo "$P_WEIR_H2C" ;;
  esac
}
WEIR_NODE_FLAGS=()
read -r -a WEIR_SIDECAR_FLAGS <<<"$WEIR_FLAGS"
start_target() { # target proto -> sets KEY (the PID table entry whose process tree is measured)
  local t=$1 proto=$2 port
  port=$(target_port "$t" "$proto")
  case "$t" in
    direct)
      if [ "$proto" = h1 ]; then KEY=up-a; else KEY=up2-a; fi
      return 0 ;;
    haproxy) KEY=haproxy; start haproxy /usr/sbin/haproxy -db -f "$WORK/haproxy.cfg" ;;
    nginx) KEY=nginx; start nginx /usr/sbin/nginx -p "$WORK/" -c "$WORK/nginx.conf" -e "$WORK/logs/nginx-error.log" -g 'daemon off;' ;;
    weir)
      KEY=weir
      # the `weir proxy` command itself, as a sidecar runs it: the 90/10 mesh from a file
      if [ "$proto" = h1 ]; then
        render weir-proxy-mesh.yaml.tpl "$WORK/weir-h1.yaml" PORT="$port" UP_A="$P_UP_A" UP_B="$P_UP_B" APP_PROTOCOL=
      else
        render weir-proxy-mesh.yaml.tpl "$WORK/weir-h2c.yaml" PORT="$port" UP_A="$P_UP2_A" UP_B="$P_UP2_B" \
          APP_PROTOCOL=", appProtocol: kubernetes.io/h2c"
      fi
      start weir node "${WEIR_SIDECAR_FLAGS[@]}" "${WEIR_NODE_FLAGS[@]}" "$ROOT/bin/weir.js" proxy \
        --config "$WORK/weir-$proto.yaml" --admin-port 0 --namespace bench --deployment weir-bench --pod weir-bench-0
      for _ in $(seq 150); do
        grep -q '^weir proxy: ready' "$WORK/logs/weir.log" 2>/dev/null && break
        kill -0 "${PID[weir]}" 2>/dev/null || break
        sleep 0.1
      done
      grep -q '^weir proxy: ready' "$WORK/logs/weir.log" || { tail -5 "$WORK/logs/weir.log" >&2; die "weir proxy did not start"; } ;;
  esac
  wait_port "$port" "$KEY"
}
stop_target() { [ "$1" = direct ] || stop "$KEY"; }
weir_admin_port() { sed -n 's/^weir proxy: admin on [0-9.]*:\([0-9]*\).*/\1/p' "$WORK/logs/weir.log" | head -1; }

# ---- 8. measurements (each bounded by timeout); every result is one JSON line ----
emit() { echo "$1" >>"$RES"; }
warm_up() { # proto port
  if [ "$1" = h1 ]; then timeout -k 3 20 wrk -t1 -c"$CONNS" -d"$((WARM + 1))s" "http://127.0.0.1:$2/64" >/dev/null 2>&1 || true
  else timeout -k 3 20 h2load -t1 -c"$H2_CONNS" -m"$H2_STREAMS" -D "$((WARM + 1))" "http://127.0.0.1:$2/64" >/dev/null 2>&1 || true; fi
}
run_max() { # rep target proto port size
  local rep=$1 t=$2 proto=$3 port=$4 size=$5 c0 c1 out
  c0=$(cpu_ticks "${PID[$KEY]}")
  if [ "$proto" = h1 ]; then
    out=$(timeout -k 3 $((DUR + 20)) wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 5s -s "$HERE/wrk-json.lua" "http://127.0.0.1:$port/$size" | tail -1) || out='{"failed":true}'
  else
    out=$(timeout -k 3 $((DUR + 20)) h2load -t1 -c"$H2_CONNS" -m"$H2_STREAMS" -D "$DUR" "http://127.0.0.1:$port/$size" 2>&1 \
      | awk '/^finished in/ { gsub(",", ""); rps = $4 } /^requests:/ { gsub(",", ""); total = $2; ok = $8; failed = $10; errored = $12 }
             END { if (rps == "") { print "{\"failed\":true}" } else printf "{\"rps\":%s,\"requests\":%d,\"succeeded\":%d,\"failed\":%d,\"errored\":%d}\n", rps, total, ok, failed, errored }') || out='{"failed":true}'
  fi
  c1=$(cpu_ticks "${PID[$KEY]}")
  emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"max\",\"size\":\"$size\",\"secs\":$DUR,\"cpu_s\":$(secs_of $((c1 - c0))),\"r\":$out}"
}
run_rate() { # rep target proto port rate
  local rep=$1 t=$2 proto=$3 port=$4 rate=$5 c0 c1 out
  c0=$(cpu_ticks "${PID[$KEY]}")
  if [ "$proto" = h1 ]; then
    out=$(timeout -k 3 $((WARM + RATE_DUR + 20)) "$WORK/openloop" -p "$port" -u /64 -r "$rate" -d "$RATE_DUR" -w "$WARM" -c "$CONNS") || out='{"failed":true}'
  else
    # h2load --rps is per connection; its latency is from each request's own start (not CO-corrected)
    local lf="$WORK/logs/h2load-$t-$rate-$rep.tsv"
    rm -f "$lf"
    if timeout -k 3 $((WARM + RATE_DUR + 20)) h2load -t1 -c"$H2_CONNS" -m"$H2_STREAMS" --rps "$((rate / H2_CONNS))" -D "$((WARM + RATE_DUR))" \
      --log-file "$lf" "http://127.0.0.1:$port/64" >/dev/null 2>&1; then
      out=$(tool h2lat "$lf" "$WARM" "$RATE_DUR") || out='{"failed":true}'
    else out='{"failed":true}'; fi
  fi
  c1=$(cpu_ticks "${PID[$KEY]}")
  emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"rate\",\"size\":\"64\",\"rate\":$rate,\"secs\":$((WARM + RATE_DUR)),\"cpu_s\":$(secs_of $((c1 - c0))),\"r\":$out}"
}

selected() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
has_proto() { [[ " $PROTOS " == *" $1 "* ]]; }
TARGETS=(direct haproxy nginx weir)

block() { # rep target proto: start the target, check, warm up, measure, sample RSS, stop
  local rep=$1 t=$2 proto=$3 port split size rate rates
  port=$(target_port "$t" "$proto")
  log "rep $rep/$REPS  $proto  $t"
  start_target "$t" "$proto"
  if [ "$t" != direct ]; then
    emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"rss_start\",\"kb\":$(mem_kb VmRSS "${PID[$KEY]}")}"
    split=$(timeout -k 3 90 node "$BUILD/tools.js" split "$port" "$SPLIT_N" "$proto") || true
    [ -n "$split" ] || split='{"failed":true}'
    emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"split\",\"r\":$split}"
    if [ "$t" = weir ] && [ "$proto" = h2c ] && [[ "$split" != *'"bad":0'* ]]; then
      log "weir does not answer h2c: $split"
      emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"unsupported\",\"r\":$split}"
      stop_target "$t"
      return 0
    fi
  fi
  warm_up "$proto" "$port"
  if [ "$proto" = h1 ]; then
    for size in $SIZES; do run_max "$rep" "$t" "$proto" "$port" "$size"; done
    for rate in $RATES; do run_rate "$rep" "$t" "$proto" "$port" "$rate"; done
  else
    run_max "$rep" "$t" "$proto" "$port" 64
    for rate in $H2_RATES; do run_rate "$rep" "$t" "$proto" "$port" "$rate"; done
  fi
  emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"rss\",\"kb\":$(mem_kb VmHWM "${PID[$KEY]}")}"
  if [ "$t" = weir ]; then
    emit "{\"rep\":$rep,\"target\":\"$t\",\"proto\":\"$proto\",\"test\":\"metrics\",\"r\":$(tool scrape "$(weir_admin_port)" 2>/dev/null || echo '{"failed":true}')}"
  fi
  stop_target "$t"
}

# ---- 9. the matrix: REPS times, the target order rotated every repetition ----
for rep in $(seq "$REPS"); do
  for proto in h1 h2c; do
    has_proto "$proto" || continue
    for i in "${!TARGETS[@]}"; do
      t=${TARGETS[$(((i + rep - 1) % ${#TARGETS[@]}))]}
      selected "$t" || continue
      block "$rep" "$t" "$proto"
    done
  done
done

# ---- 10. CPU profile of the Weir proxy under wrk load (after the matrix, so it disturbs nothing) ----
if [ "$PROFILE" = 1 ] && selected weir && has_proto h1; then
  log "CPU profile of the weir proxy under wrk -c$CONNS for ${DUR}s"
  rm -rf "$WORK/prof"
  WEIR_NODE_FLAGS=(--cpu-prof --cpu-prof-dir="$WORK/prof" --cpu-prof-name=weir.cpuprofile)
  start_target weir h1
  warm_up h1 "$P_WEIR_H1"
  timeout -k 3 $((DUR + 20)) wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$P_WEIR_H1/64" >"$WORK/logs/profile-wrk.txt" 2>&1 || true
  stop weir
  WEIR_NODE_FLAGS=()
  if [ -f "$WORK/prof/weir.cpuprofile" ]; then
    tool profile-top "$WORK/prof/weir.cpuprofile" 30 >"$WORK/profile.md" && log "profile: $WORK/profile.md"
  else
    log "no profile written (see $WORK/logs/weir.log)"
  fi
fi

emit "{\"test\":\"end\",\"date\":$(json_str "$(date -u +%FT%TZ)"),\"loadavg_end\":$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")}"

# ---- 11. report ----
node "$BUILD/summarize.js" "$RES" | tee "$WORK/report.md"
[ -f "$WORK/profile.md" ] && { echo; echo "## Weir proxy CPU profile (wrk -c$CONNS, 64 B; top self time)"; echo; cat "$WORK/profile.md"; } | tee -a "$WORK/report.md"
log "results: $RES  report: $WORK/report.md"
